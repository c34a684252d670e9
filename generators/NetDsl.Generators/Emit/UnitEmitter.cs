using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using NetDsl.Generators.Kinds.Normalization;
using NetDsl.Generators.Kinds.Layers;
using NetDsl.Generators.Model;
using NetDsl.Generators.Naming;
using NetDsl.Generators.Planning;

namespace NetDsl.Generators.Emit;

/// <summary>
/// Emits the generated part of a network or block class: implied fields, constructor, module
/// registration in forward order (so state_dict keys come out in torchvision's order), and a
/// straight-line <c>forward</c>. Sizes are C# expressions: numbers in networks, constructor
/// parameters (<c>inChannels</c>, <c>planes</c>, <c>stride</c>) in blocks.
/// The code compiles at C# 7.3 and later (<see cref="LanguageFloor"/>): no nullable annotations, using
/// declarations, target-typed <c>new</c>, <c>is not</c> or static lambdas; locals have explicit types and
/// members are written <c>this.name</c> (see <see cref="Identifiers"/>).
/// </summary>
internal sealed class UnitEmitter
{
    const string Tensor = "global::TorchSharp.torch.Tensor";
    const string Nn = "global::TorchSharp.torch.nn";

    readonly UnitSchedule s;
    readonly BlockSpec? block;      // null for a network
    readonly NetworkModel? network; // null for a block
    readonly bool spatial;
    readonly List<string> fields = new();
    readonly List<string> ctor = new();
    readonly List<string> registrations = new();
    /// <summary>The unit's own scalar parameters (Fixup, SkipInit), registered before its sub-modules as PyTorch orders a state_dict.</summary>
    readonly List<string> parameters = new();
    readonly List<string> forward = new();
    /// <summary>
    /// The forward with no probe attached (second walk): no taps; in eval mode each BatchNorm folded into the weight layer
    /// before it; ReLUs and the residual sum in place where autograd allows.
    /// </summary>
    readonly List<string> folded = new();
    /// <summary>True during the second walk, which writes <see cref="folded"/> and adds no fields or registrations.</summary>
    bool folding;
    /// <summary>BatchNorms the second walk folded.</summary>
    int folds;
    /// <summary>In-place ReLUs and sums the second walk wrote.</summary>
    int inPlace;
    /// <summary>Whether the second walk differs from the first (a fold or an in-place operation): only then is it emitted.</summary>
    bool HasUntapped => folds + inPlace > 0;
    List<string> Out => folding ? folded : forward;
    bool Tapping => taps && !folding;
    /// <summary>The generated untapped method's name (prefixed like the probe field, so it cannot meet a user member).</summary>
    const string UntappedForward = "netdslForwardUntapped";
    /// <summary>Statements before the dispose scope: a network's input checks.</summary>
    readonly List<string> preamble = new();
    /// <summary>The first module in forward order that has parameters (its dtype is the input's), for a network's checks.</summary>
    string? firstWeighted;
    readonly List<string> stages = new();   // stage fields, for AttachProbe
    readonly bool taps;
    const string Kinds = "global::NetDsl.Instrumentation.TapKind.";

    /// <summary>The oldest C# version the generated code compiles at (ND0036 below it).</summary>
    public const Microsoft.CodeAnalysis.CSharp.LanguageVersion LanguageFloor = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3;

    readonly bool declareLayers;
    readonly CancellationToken ct;
    /// <summary>Each module created, by name: its factory (a shared activation is created once; two modules under one name are a bug).</summary>
    readonly Dictionary<string, string> created = new();

    UnitEmitter(UnitSchedule s, BlockSpec? block, NetworkModel? network, bool spatial, bool declareLayers, CancellationToken ct)
    {
        this.ct = ct;
        this.declareLayers = declareLayers;
        this.s = s;
        this.block = block;
        this.network = network;
        this.spatial = spatial;
        taps = block?.Taps ?? network!.Spec.Taps;
    }

    /// <summary>Wraps an expression in a tap point (when the class has taps): <c>Tap("conv1", expr)</c>.</summary>
    string T(string name, string expression, string? kind = null) =>
        !Tapping ? expression : $"Tap(\"{name}\", {expression}{(kind is null ? "" : ", " + Kinds + kind)})";

    static string? ActivationTapKind(Nonlinearity a) => a switch
    {
        Nonlinearity.ReLU => "ReluOutput",
        _ => null,
    };

    static string? InputTapKind(Nonlinearity a) => a switch
    {
        Nonlinearity.Sigmoid => "SigmoidInput",
        Nonlinearity.Tanh => "TanhInput",
        _ => null,
    };

    /// <summary>
    /// Where a generated class goes: inside the types in <see cref="Containers"/> (opening lines such as
    /// <c>partial class ResNet20</c>), with <see cref="Modifiers"/>, declaring its layer fields itself (a
    /// variant has no user part), with other generated types nested in it.
    /// </summary>
    internal sealed record Layout(IReadOnlyList<string> Containers, string Modifiers, bool DeclareLayers, IReadOnlyList<string> Nested, IReadOnlyList<string> ExtraMembers)
    {
        public static readonly Layout UserPart = new(System.Array.Empty<string>(), "partial class", false, System.Array.Empty<string>(), System.Array.Empty<string>());
        public bool Standalone => Containers.Count == 0 && !DeclareLayers;
    }

    /// <summary>The generated forward method of the last emitted unit, as text.</summary>
    public string ForwardMethod { get; private set; } = "";

    public static string EmitBlock(BlockSpec block, CancellationToken ct) => EmitBlock(block, Layout.UserPart, out _, ct);

    public static string EmitBlock(BlockSpec block, Layout layout, out string forwardMethod, CancellationToken ct)
    {
        var e = new UnitEmitter(UnitSchedule.Build(block.Layers.ToList(), block.Policy, isNetwork: false), block, null, block.Spatial, layout.DeclareLayers, ct);
        e.WalkBoth();
        var text = e.Write(layout.Standalone ? block.Namespace : null, block.Name, BlockDoc(block), BlockConstructorSignature(block), null, layout);
        forwardMethod = e.ForwardMethod;
        return text;
    }

    public static string EmitNetwork(NetworkModel model, CancellationToken ct) => EmitNetwork(model, Layout.UserPart, out _, ct);

    public static string EmitNetwork(NetworkModel model, Layout layout, out string forwardMethod, CancellationToken ct, string? displayName = null)
    {
        var spec = model.Spec;
        var e = new UnitEmitter(UnitSchedule.Build(spec.Layers.ToList(), spec.Policy, isNetwork: true), null, model, spec.InputShape.Count == 3, layout.DeclareLayers, ct);
        e.WalkBoth();
        var text = e.Write(spec.Namespace, spec.Name, SummaryDoc.NetworkDoc(model), $"public {Id(spec.Name)}() : base({Loaded(displayName ?? spec.Name)})",
            SummaryDoc.SummaryProperty(model, ct, displayName).Concat(PyTorchEmitter.Constant(model, displayName, ct)).Concat(layout.ExtraMembers), layout);
        forwardMethod = e.ForwardMethod;
        return text;
    }

    // Block size expressions.
    string InName => spatial ? "inChannels" : "inFeatures";
    string PlanesName => spatial ? "planes" : "width";
    string OutExpr => block!.Expansion == 1 ? PlanesName : $"{PlanesName} * {block.Expansion}";

    static string BlockConstructorSignature(BlockSpec b) => b.Spatial
        ? $"public {Id(b.Name)}(long inChannels, long planes, long stride) : base({Loaded(b.Name)})"
        : $"public {Id(b.Name)}(long inFeatures, long width) : base({Loaded(b.Name)})";

    /// <summary>TorchSharp's Module constructor already calls native code: load (or explain) before it runs.</summary>
    public static string Loaded(string name) => $"global::NetDsl.Native.TorchSharpRuntime.EnsureLoaded(\"{name}\")";

    static string Id(string name) => Identifiers.Id(name);

    /// <summary>A member of this module: always qualified with <c>this.</c>, so user fields never collide with generated locals or parameters.</summary>
    static string Me(string name) => "this." + Id(name);

    /// <summary>Declares (when <paramref name="declare"/>), builds and registers a module; a shared module is created once.</summary>
    /// <exception cref="System.InvalidOperationException">Two different modules under one name (the name checks should have reported it).</exception>
    void Create(string name, string type, string factory, bool declare)
    {
        if (created.TryGetValue(name, out var existing))
        {
            if (existing == factory) return;
            throw new System.InvalidOperationException($"two modules named '{name}'");
        }
        created[name] = factory;
        if (declare) fields.Add($"private readonly {type} {Id(name)};");
        ctor.Add($"{Me(name)} = {factory};");
        registrations.Add(name);
    }

    /// <summary>The training forward, then the folded eval forward over the same schedule (bounded: one more pass over the steps).</summary>
    void WalkBoth()
    {
        Walk();
        folding = true;
        Walk();
        folding = false;
    }

    /// <summary>
    /// The BatchNorm run right after step <paramref name="k"/> (a convolution or linear layer) that the folded walk can fold into
    /// it: the layer's implied BatchNorm (After = Conv) or a declared BatchNorm field as the next step; null otherwise (an
    /// activation in between, as with After = Activation, or nothing).
    /// </summary>
    string? FoldableNorm(int k)
    {
        var step = s.Steps[k];
        var l = s.Layers[step.Layer];
        if (!folding || step.Kind != StepKind.Layer || !l.IsWeight || k + 1 >= s.Steps.Count) return null;
        var next = s.Steps[k + 1];
        if (next.Kind == StepKind.Norm && next.Layer == step.Layer && Norms.Of(s.Norms[next.Layer].Kind).Foldable) return next.Module;
        if (next.Kind == StepKind.Layer && s.Layers[next.Layer] is { Norm: { } explicitNorm } explicitLayer && explicitLayer.Kind == LayerCatalog.Norm && Norms.Of(explicitNorm.Kind).Foldable) return s.Layers[next.Layer].Name;
        return null;
    }

    void Walk()
    {
        var layers = s.Layers;
        int lastChannel = s.LastChannelLayer;
        string cur = block is null ? "" : InName; // block: the size expression of the current tensor's dim 0
        string v = "x";                           // the variable holding the current tensor
        bool residual = s.Residual is not null;
        string shortcutInput = "x";
        if (residual && Tapping)
        {
            // The unit's input, tapped once per path: their gradients are the branch's and the shortcut's shares.
            Out.Add($"{Tensor} branchInput = Tap(\"branch_input\", x, {Kinds}BranchInput);");
            Out.Add($"{Tensor} shortcutInput = Tap(\"shortcut_input\", x, {Kinds}ShortcutInput);");
            v = "branchInput";
            shortcutInput = "shortcutInput";
        }
        // Folded walk: whether v holds a tensor made in this pass whose producer (a convolution, linear layer, BatchNorm or
        // addition) does not keep it for backward, so a ReLU or the residual addition may write into it (as torchvision's
        // ReLU(inplace=True) and out += identity): no new buffer, and autograd stays valid when gradients are on in eval mode.
        bool fresh = false;
        string Next(string expression, bool producesFresh = false)
        {
            // The first statement declares the working variable: "branch" inside a residual branch, else "y".
            var target = residual ? "branch" : "y";
            if (v is "x" or "sum" or "branchInput") { Out.Add($"{Tensor} {target} = {expression};"); v = target; }
            else Out.Add($"{v} = {expression};");
            fresh = producesFresh;
            return v;
        }
        void Activate(Nonlinearity kind, string tapName, System.Func<string, string> call)
        {
            if (Tapping && InputTapKind(kind) is { } input) Next(T(tapName + ".input", v, input));
            Next(T(tapName, call(v), ActivationTapKind(kind))); // the activation reads the tapped input
        }

        for (int k = 0; k < s.Steps.Count; k++)
        {
            ct.ThrowIfCancellationRequested();
            var step = s.Steps[k];
            string inSize = network is null ? cur : network.StepInputs[k].ToString(CultureInfo.InvariantCulture);
            bool mapHere = network is null ? spatial : network.StepRanks[k] == 3; // BatchNorm2d on maps, 1d on vectors
            switch (step.Kind)
            {
                case StepKind.Flatten:
                    Next($"{v}.flatten(1)");
                    break;
                case StepKind.Norm:
                {
                    var name = step.Module!;
                    var kind = Norms.Of(s.Norms[step.Layer].Kind);
                    Create(name, "global::TorchSharp.Modules." + kind.ModuleType(mapHere), kind.Factory(s.Norms[step.Layer], inSize, mapHere), declare: true);
                    firstWeighted ??= Me(name);
                    Next(T(step.Tap!, $"{Me(name)}.call({v})"), producesFresh: true);
                    break;
                }
                case StepKind.Act:
                {
                    var a = s.Activations[step.Layer];
                    var name = step.Module!;
                    Create(name, "global::TorchSharp.Modules." + Activation.Module(a.Kind), Activation.CSharp(a), declare: true);
                    var tapName = step.Tap!;
                    if (folding && a.Kind == Nonlinearity.ReLU && fresh) { Next($"{v}.relu_()"); inPlace++; } // in place: see fresh
                    else Activate(a.Kind, tapName, src => $"{Me(name)}.call({src})");
                    break;
                }
                case StepKind.Scalar:
                {
                    // A learnable scalar (Fixup's biases and multiplier, SkipInit's alpha): built once, a parameter of this module.
                    var name = step.Module!;
                    if (!created.ContainsKey(name))
                    {
                        created[name] = "scalar";
                        fields.Add($"private readonly global::TorchSharp.Modules.Parameter {Id(name)};");
                        ctor.Add($"{Me(name)} = {Nn}.Parameter(global::TorchSharp.torch.{(step.Multiply && name != "alpha" ? "ones" : "zeros")}(1));");
                        parameters.Add(name);
                    }
                    Next($"{v} {(step.Multiply ? "*" : "+")} {Me(name)}");
                    break;
                }
                case StepKind.Add:
                    v = EmitShortcutAndSum(v, cur, shortcutInput, fresh);
                    fresh = true;
                    residual = false; // after the sum, statements act on "y"
                    break;
                default:
                {
                    var l = layers[step.Layer];
                    if (l.Kind.Composite)
                    {
                        string firstStride = block is not null && step.Layer == s.StridedLayer ? "stride" : l.Stride.ToString(CultureInfo.InvariantCulture);
                        EmitStage(l, inSize, firstStride, ref v, e => Next(e));
                        firstWeighted ??= $"{Me(l.Name)}[0]";
                        if (block is not null) cur = PlanesName + (l.Block!.Expansion == 1 ? "" : " * " + l.Block.Expansion);
                        break;
                    }
                    string outSize = block is null ? l.Out.ToString(CultureInfo.InvariantCulture) : step.Layer == lastChannel ? OutExpr : PlanesName;
                    string stride = block is not null && step.Layer == s.StridedLayer ? "stride" : l.Stride.ToString(CultureInfo.InvariantCulture);
                    bool bias = l.IsWeight && s.Bias(step.Layer);
                    var kind = l.Kind;
                    Create(step.Module!, "global::TorchSharp.Modules." + kind.ModuleType(l, mapHere), kind.Factory(l, new LayerSizes(inSize, outSize, stride, bias, mapHere)), declare: declareLayers);
                    if (l.IsWeight || l.Kind == LayerCatalog.Norm) firstWeighted ??= Me(l.Name);
                    if (FoldableNorm(k) is { } norm)
                    {
                        // Eval mode: the BatchNorm that follows becomes part of this layer's weights (NetDsl.Inference.BatchNormFolding).
                        Next($"global::NetDsl.Inference.BatchNormFolding.{kind.Name}({Me(l.Name)}, {Me(norm)}, {v})", producesFresh: true);
                        folds++;
                        k++;
                    }
                    else if (kind.Activates(l) is { } nonlinearity) Activate(nonlinearity, step.Tap!, src => $"{Me(step.Module!)}.call({src})");
                    else Next(T(step.Tap!, $"{Me(step.Module!)}.call({v})"), producesFresh: kind.FreshOutput);
                    if (l.IsWeight && block is not null) cur = outSize;
                    break;
                }
            }
        }
        Out.Add($"return {v}.MoveToOuterDisposeScope();");
        // A network checks its input before any layer runs (see NetDsl.ForwardChecks for why there and not in blocks).
        if (network is not null && !folding) preamble.Add($"global::NetDsl.ForwardChecks.Input(this, x, Summary, {firstWeighted ?? "null"});");
    }

    void EmitStage(LayerSpec l, string inSize, string firstStride, ref string v, System.Func<string, string> next)
    {
        var b = l.Block!;
        string planes = block is null ? l.Out.ToString(CultureInfo.InvariantCulture) : PlanesName;
        string outPerBlock = b.Expansion == 1 ? planes : block is null ? ((long)l.Out * b.Expansion).ToString(CultureInfo.InvariantCulture) : $"{planes} * {b.Expansion}";
        var items = new List<string>();
        for (int i = 0; i < l.Blocks; i++)
        {
            ct.ThrowIfCancellationRequested();
            string input = i == 0 ? inSize : outPerBlock;
            items.Add(b.Spatial ? $"new {b.TypeName}({input}, {planes}, {(i == 0 ? firstStride : "1")})" : $"new {b.TypeName}({input}, {planes})");
        }
        Create(l.Name, $"global::TorchSharp.Modules.ModuleList<{b.TypeName}>", $"{Nn}.ModuleList<{b.TypeName}>({string.Join(", ", items)})", declare: declareLayers);
        if (!folding) stages.Add(l.Name);
        for (int i = 0; i < l.Blocks; i++) v = next($"{Me(l.Name)}[{i}].call({v})");
    }

    /// <summary>Emits the shortcut and the addition; returns the variable holding the sum.</summary>
    /// <param name="branch">The variable holding the branch's output.</param>
    /// <param name="outSize">The unit's output size expression.</param>
    /// <param name="input">The variable holding the unit's input as the shortcut sees it.</param>
    /// <param name="branchFresh">The branch's tensor may be written in place (see <c>fresh</c> in <see cref="Walk"/>): the folded walk adds into it.</param>
    string EmitShortcutAndSum(string branch, string outSize, string input, bool branchFresh)
    {
        var r = s.Residual!;
        var norm = s.ProjectionNorm;
        string shortcut = input;
        string projection = spatial
            ? $"{Nn}.Conv2d({InName}, {outSize}, kernel_size: 1, stride: stride, bias: {Literals.CSharp(s.ProjectionBias)})"
            : $"{Nn}.Linear({InName}, {outSize}, hasBias: {Literals.CSharp(s.ProjectionBias)})";
        if (norm is not null) projection += ", " + Norms.Of(norm.Kind).Factory(norm, outSize, spatial);
        string shapeChanges = spatial ? $"stride != 1 || {InName} != {outSize}" : $"{InName} != {outSize}";
        bool declare = !folding; // the folded walk reuses the first walk's fields and registrations
        // The folded walk folds the projection's BatchNorm too (NetDsl.Inference.BatchNormFolding.Projection).
        string Project(string x)
        {
            // Fixup: the projection sees the input with the first scalar bias added, as in the reference code.
            if (s.FirstInputBias is { } bias) x = $"{x} + {Me(bias)}";
            if (!folding || norm is null || !Norms.Of(norm.Kind).Foldable) return $"this.downsample.call({x})";
            folds++;
            return $"global::NetDsl.Inference.BatchNormFolding.Projection(this.downsample, {x})";
        }
        switch (r.Shortcut)
        {
            case ShortcutKind.Auto:
                if (declare)
                {
                    fields.Add($"private readonly {Nn}.Module<{Tensor}, {Tensor}> downsample;");
                    ctor.Add($"if ({shapeChanges})");
                    ctor.Add($"    this.downsample = {Nn}.Sequential({projection});");
                    registrations.Add("downsample?");
                }
                Out.Add($"{Tensor} shortcut = {T("shortcut", $"this.downsample is null ? {input} : {Project(input)}", "Shortcut")};");
                shortcut = "shortcut";
                break;
            case ShortcutKind.Projection:
                if (declare)
                {
                    fields.Add($"private readonly {Nn}.Module<{Tensor}, {Tensor}> downsample;");
                    ctor.Add($"this.downsample = {Nn}.Sequential({projection});");
                    registrations.Add("downsample");
                }
                Out.Add($"{Tensor} shortcut = {T("shortcut", Project(input), "Shortcut")};");
                shortcut = "shortcut";
                break;
            case ShortcutKind.ZeroPad:
                if (declare)
                {
                    fields.Add("private readonly long zeroPadStride, zeroPadChannels;");
                    ctor.Add($"this.zeroPadStride = {(spatial ? "stride" : "1")};");
                    ctor.Add($"this.zeroPadChannels = {shapeChanges} ? {outSize} : 0;");
                }
                Out.Add($"{Tensor} shortcut = {T("shortcut", $"this.zeroPadChannels == 0 ? {input} : global::NetDsl.Shortcuts.ZeroPad({input}, this.zeroPadStride, this.zeroPadChannels)", "Shortcut")};");
                shortcut = "shortcut";
                break;
        }
        if (r.Shortcut == ShortcutKind.Identity && Tapping) Out.Add($"{Tensor} shortcut = Tap(\"shortcut\", {input}, {Kinds}Shortcut);");
        if (r.Shortcut == ShortcutKind.Identity && Tapping) shortcut = "shortcut";
        if (Tapping) Out.Add($"{branch} = Tap(\"branch\", {branch}, {Kinds}Branch);");
        string scaled = branch;
        if (r.BranchScale != 1.0)
        {
            // A Scalar kept alive by a field: a number in `branch * 0.1` becomes a temporary Scalar that a GC can free
            // while LibTorch reads it (see NetDsl.Native.Scalars).
            if (declare)
            {
                fields.Add($"/// <summary>The residual branch's scale, {Literals.CSharp(r.BranchScale)}, as a TorchSharp Scalar that lives as long as the type.</summary>");
                fields.Add($"private static readonly global::TorchSharp.Scalar {Identifiers.BranchScale} = global::TorchSharp.ScalarExtensionMethods.ToScalar({Literals.CSharp(r.BranchScale)});");
            }
            scaled = $"{branch} * {Identifiers.BranchScale}";
        }
        bool addInPlace = folding && branchFresh && scaled == branch;
        if (addInPlace) inPlace++;
        Out.Add(addInPlace
            ? $"{Tensor} sum = {branch}.add_({shortcut});" // in place into the branch's fresh output
            : $"{Tensor} sum = {T("sum", $"{scaled} + {shortcut}", "Sum")};");
        return "sum";
    }

    string Write(string? ns, string name, IEnumerable<string> doc, string signature, IEnumerable<string>? extraMembers, Layout layout)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var w = new IndentedTextWriter(text, "    ");
        var version = typeof(UnitEmitter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        bool file = layout.Standalone || layout.Containers.Count > 0; // a whole file, not a type nested in another emission
        if (file)
        {
            w.WriteLine("// <auto-generated/>");
            w.WriteLine(Identifiers.LowerCaseTypeNames);
            w.WriteLine();
        }
        if (ns is not null && file)
        {
            w.WriteLine($"namespace {Identifiers.Dotted(ns)}");
            w.WriteLine("{");
            w.Indent++;
        }
        foreach (var container in layout.Containers)
        {
            w.WriteLine(container);
            w.WriteLine("{");
            w.Indent++;
        }
        foreach (var line in doc) w.WriteLine("/// " + line);
        w.WriteLine($"[global::System.CodeDom.Compiler.GeneratedCode(\"NetDsl.Generators\", \"{version}\")]");
        w.WriteLine($"{layout.Modifiers} {Id(name)} : {Nn}.Module<{Tensor}, {Tensor}>, global::NetDsl.Instrumentation.IInstrumented"
            + (s.ExposesBranch ? ", global::NetDsl.IResidualUnit" : "") + (block is null && s.Init is not null ? ", global::NetDsl.IDeclaresInit" : ""));
        w.WriteLine("{");
        w.Indent++;
        foreach (var nested in layout.Nested)
        {
            foreach (var line in nested.TrimEnd('\n').Split('\n')) w.WriteLine(line);
            w.WriteLine();
        }
        foreach (var f in fields) w.WriteLine(f);
        if (taps)
        {
            w.WriteLine("private global::NetDsl.Instrumentation.Probe netdslProbe;");
            w.WriteLine("private string netdslPrefix = \"\";");
        }
        w.WriteLine();
        if (extraMembers is not null)
        {
            foreach (var line in extraMembers) w.WriteLine(line);
            w.WriteLine();
        }

        if (block is null && s.Init is { } declaredInit)
            w.WriteLine($"/// <summary>Builds the network and applies its initialization, <see cref=\"global::NetDsl.Init.{declaredInit}\"/> (<see cref=\"global::NetDsl.Inits.Apply\"/>); sub-modules are registered in forward order under their field names.</summary>");
        else if (block is null)
            w.WriteLine("/// <summary>Builds the network with PyTorch's default initialization; sub-modules are registered in forward order under their field names.</summary>");
        else
        {
            w.WriteLine("/// <summary>Builds the block for one position in a stage; sub-modules are registered in forward order under their field names.</summary>");
            w.WriteLine(spatial
                ? "/// <param name=\"inChannels\">Channels of the input <c>[N, inChannels, H, W]</c>.</param>"
                : "/// <param name=\"inFeatures\">Features of the input <c>[N, inFeatures]</c>.</param>");
            w.WriteLine(spatial
                ? $"/// <param name=\"planes\">Width of the block; the output has <c>{OutExpr}</c> channels.</param>"
                : $"/// <param name=\"width\">Width of the block; the output has <c>{OutExpr}</c> features.</param>");
            if (spatial) w.WriteLine("/// <param name=\"stride\">Stride of the block's strided convolution (1 or 2 in ResNets).</param>");
        }
        w.WriteLine("/// <exception cref=\"global::NetDsl.Native.TorchSharpLoadException\">TorchSharp's native libraries could not be loaded.</exception>");
        w.WriteLine(signature);
        w.WriteLine("{");
        w.Indent++;
        foreach (var line in ctor) w.WriteLine(line);
        foreach (var p in parameters) w.WriteLine($"this.register_parameter(\"{p}\", {Me(p)});");
        foreach (var r in registrations)
        {
            var module = r.TrimEnd('?');
            w.WriteLine(r.EndsWith("?", System.StringComparison.Ordinal) ? $"if (!({Me(module)} is null)) this.register_module(\"{module}\", {Me(module)});" : $"this.register_module(\"{module}\", {Me(module)});");
        }
        if (block is null && s.Init is { } init)
            w.WriteLine($"global::NetDsl.Inits.Apply(this, global::NetDsl.Init.{init});");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLine();

        string shapeIn = block is null ? Shape(network!.Spec.InputShape.Select(i => (long)i)) : spatial ? "[N, inChannels, H, W]" : "[N, inFeatures]";
        string shapeOut = block is null ? Shape(network!.Summary.Count == 0 ? network.Spec.InputShape.Select(i => (long)i) : network.Summary[network.Summary.Count - 1].Shape)
            : spatial ? SizeFormula.SpatialOutput(block, s, OutExpr, ct) : $"[N, {OutExpr}]";
        string where = block is not null && spatial && shapeOut.Contains(" / ") && !SizeFormula.Symbolic(shapeOut) ? " (integer division)"
            : SizeFormula.Symbolic(shapeOut) ? " (H' and W' follow from H and W through the block's windows: the network's Summary has them per use)" : "";
        w.WriteLine($"/// <summary>The forward pass: <c>{shapeIn}</c> to <c>{shapeOut}</c>{where}.</summary>");
        w.WriteLine($"/// <param name=\"x\">Input batch <c>{shapeIn}</c>.</param>");
        if (block is null)
        {
            w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">The input's shape is not <c>{shapeIn}</c>, or its dtype is not the parameters' (see <see cref=\"global::NetDsl.ForwardChecks\"/>).</exception>");
            w.WriteLine("/// <exception cref=\"global::System.InvalidOperationException\">A BatchNorm in training mode would get one value per channel (a batch of one), which PyTorch refuses.</exception>");
        }
        w.WriteLine($"public override {Tensor} forward({Tensor} x)");
        w.WriteLine("{");
        w.Indent++;
        foreach (var line in preamble) w.WriteLine(line);
        if (HasUntapped)
        {
            // Without a probe: the untapped path (eval: BatchNorm inside the weights; both modes: in-place ReLUs and sums).
            w.WriteLine($"if ({(taps ? "this.netdslProbe is null && " : "")}global::NetDsl.Inference.UntappedPath.Applies(this)) return this.{UntappedForward}(x);");
        }
        // A using statement (not a declaration: C# 7.3) around the body; the scope needs no name.
        w.WriteLine("using (global::TorchSharp.torch.NewDisposeScope())");
        w.WriteLine("{");
        w.Indent++;
        foreach (var line in forward) w.WriteLine(line);
        w.Indent--;
        w.WriteLine("}");
        w.Indent--;
        w.WriteLine("}");
        ForwardMethod = $"public override Tensor forward(Tensor x)\n{{\n"
            + string.Concat(preamble.Select(l => "    " + l.Replace("global::NetDsl.", "") + "\n"))
            + "    using (torch.NewDisposeScope())\n    {\n"
            + string.Concat(forward.Select(l => "        " + l.Replace("global::TorchSharp.torch.", "").Replace("global::NetDsl.Instrumentation.", "").Replace("global::NetDsl.", "") + "\n")) + "    }\n}\n";
        if (HasUntapped) WriteUntapped(w);
        WriteInstrumentation(w);
        w.Indent--;
        w.WriteLine("}");
        foreach (var _ in layout.Containers)
        {
            w.Indent--;
            w.WriteLine("}");
        }
        if (ns is not null && file)
        {
            w.Indent--;
            w.WriteLine("}");
        }
        return text.ToString();
    }

    void WriteUntapped(IndentedTextWriter w)
    {
        w.WriteLine();
        w.WriteLine("/// <summary>");
        w.WriteLine("/// The forward pass with no probe attached: no tap points; ReLUs and the residual sum write into buffers that no backward step");
        w.WriteLine("/// reads (as torchvision's <c>ReLU(inplace=True)</c> and <c>out += identity</c>, see <see cref=\"global::NetDsl.Inference.InPlaceTraining\"/>);");
        w.WriteLine("/// in eval mode each BatchNorm that follows a convolution or linear layer is folded into its weights from the current parameters");
        w.WriteLine("/// and running statistics (see <see cref=\"global::NetDsl.Inference.BatchNormFolding\"/>). Equal to the tapped pass bit for bit in");
        w.WriteLine("/// training mode (within float32 rounding where a BatchNorm frozen in eval mode is folded), within float32 rounding in eval");
        w.WriteLine("/// mode. Taken only when <see cref=\"global::NetDsl.Inference.UntappedPath.Applies\"/> says so (no hooked layer).");
        w.WriteLine("/// </summary>");
        w.WriteLine($"private {Tensor} {UntappedForward}({Tensor} x)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("using (global::TorchSharp.torch.NewDisposeScope())");
        w.WriteLine("{");
        w.Indent++;
        foreach (var line in folded) w.WriteLine(line);
        w.Indent--;
        w.WriteLine("}");
        w.Indent--;
        w.WriteLine("}");
    }

    /// <summary>The members the initialization family reads: the branch's weight layers and the normalization ending it; a network's declared Init.</summary>
    void WriteInitMembers(IndentedTextWriter w)
    {
        if (s.ExposesBranch)
        {
            var weights = Enumerable.Range(0, s.Layers.Count).Where(i => s.Layers[i].IsWeight).Select(i => Me(s.Layers[i].Name));
            w.WriteLine();
            w.WriteLine("/// <inheritdoc />");
            w.WriteLine($"global::System.Collections.Generic.IReadOnlyList<{Nn}.Module> global::NetDsl.IResidualUnit.BranchWeights => new {Nn}.Module[] {{ {string.Join(", ", weights)} }};");
            w.WriteLine("/// <inheritdoc />");
            w.WriteLine($"{Nn}.Module global::NetDsl.IResidualUnit.BranchEndNorm => {(s.BranchEndNorm is { } end ? Me(end) : "null")};");
        }
        if (block is null && s.Init is { } init)
        {
            w.WriteLine();
            w.WriteLine("/// <inheritdoc />");
            w.WriteLine($"global::NetDsl.Init global::NetDsl.IDeclaresInit.Init => global::NetDsl.Init.{init};");
        }
    }

    void WriteInstrumentation(IndentedTextWriter w)
    {
        WriteInitMembers(w);
        w.WriteLine();
        w.WriteLine("/// <inheritdoc />");
        w.WriteLine("void global::NetDsl.Instrumentation.IInstrumented.AttachProbe(global::NetDsl.Instrumentation.Probe probe, string prefix)");
        w.WriteLine("{");
        w.Indent++;
        if (taps)
        {
            w.WriteLine("this.netdslProbe = probe;");
            w.WriteLine("this.netdslPrefix = prefix;");
        }
        foreach (var stage in stages)
            w.WriteLine($"for (int i = 0; i < {Me(stage)}.Count; i++) ((global::NetDsl.Instrumentation.IInstrumented){Me(stage)}[i]).AttachProbe(probe, prefix + \"{stage}.\" + i + \".\");");
        w.Indent--;
        w.WriteLine("}");
        if (!taps) return;
        w.WriteLine();
        w.WriteLine("/// <summary>A tap point: <paramref name=\"t\"/> itself when no probe is attached (a null check), else what the probe returns (equal, bit for bit).</summary>");
        w.WriteLine($"private {Tensor} Tap(string name, {Tensor} t, global::NetDsl.Instrumentation.TapKind kind = {Kinds}Output) =>");
        w.WriteLine("    this.netdslProbe is null ? t : this.netdslProbe.Tap(this.netdslPrefix + name, t, kind);");
    }

    static string Shape(IEnumerable<long> dims) => "[N, " + string.Join(", ", dims) + "]";

    static IEnumerable<string> BlockDoc(BlockSpec b)
    {
        var r = b.Policy.Residual;
        yield return "<summary>";
        yield return $"Generated by NetDsl: a {(b.Spatial ? "convolutional" : "fully connected")} {(r.Enabled ? "residual" : "plain")} block"
            + (r.Enabled ? $" ({r.Order}, {r.Shortcut} shortcut{(r.BranchScale == 1.0 ? "" : ", branch scale " + Literals.CSharp(r.BranchScale))})" : "")
            + $", expansion {b.Expansion}. Layers: {string.Join(", ", b.Layers.Select(l => l.Name))}.";
        yield return "</summary>";
    }
}
