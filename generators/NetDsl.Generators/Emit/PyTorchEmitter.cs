using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using NetDsl.Generators.Kinds.Layers;
using NetDsl.Generators.Model;
using NetDsl.Generators.Planning;

namespace NetDsl.Generators.Emit;

/// <summary>
/// Emits a network as a self-contained PyTorch module (Python text needing only <c>torch</c>): one <c>nn.Module</c> class
/// per block type the network uses and one for the network, walking the same <see cref="UnitSchedule"/> steps the C#
/// forward is emitted from, so sub-module names (hence <c>state_dict</c> keys and their order), sizes, shortcuts, unit
/// orders, branch scale and activations are the C#'s. Stages become <c>nn.Sequential</c> (torchvision's layout: the same
/// keys as the C# <c>ModuleList</c>). Runs only in the output step; its work is one pass over each distinct unit's
/// declared layers (a stage's blocks are written as a generator expression beyond <see cref="ListedBlocks"/>), so it is
/// bounded by the declaration's size, not by the expanded network.
/// </summary>
internal sealed class PyTorchEmitter
{
    /// <summary>Stages with at most this many blocks list them; longer ones repeat the block with a generator expression.</summary>
    const int ListedBlocks = 4;

    /// <summary>Python's keywords (3.7 to 3.12); soft keywords (<c>match</c>, <c>case</c>, <c>type</c>) are valid identifiers.</summary>
    static readonly HashSet<string> Keywords = new()
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
        "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
        "return", "try", "while", "with", "yield",
    };

    /// <summary>Global names the emitted code uses, and the parameters and locals of its methods: no class may take these names.</summary>
    static readonly string[] Reserved =
    {
        "torch", "nn", "super", "getattr", "range", "zero_pad_shortcut", "self", "x", "out", "branch", "shortcut", "in_channels",
        "planes", "stride", "in_features", "width", "_",
    };

    readonly CancellationToken ct;
    readonly Dictionary<string, string> classNames = new();   // block TypeName -> Python class name
    readonly HashSet<string> taken = new(Reserved);
    readonly List<BlockSpec> blocks = new();                  // distinct block types, nested ones first
    bool usesZeroPad;

    PyTorchEmitter(CancellationToken ct) => this.ct = ct;

    /// <summary>The members added to a network's (or variant's) generated class: the documented <c>PyTorchSource</c> constant.</summary>
    public static IEnumerable<string> Constant(NetworkModel model, string? displayName, CancellationToken ct)
    {
        var name = displayName ?? model.Spec.Name;
        var (source, className) = Source(model, name, ct);
        var lines = source.TrimEnd('\n').Split('\n');
        yield return "/// <summary>";
        yield return $"/// This network as PyTorch source: a self-contained Python module (needs only <c>torch</c>) defining <c>{Xml(className)}</c>, an";
        yield return "/// <c>nn.Module</c> with the same sub-module names, <c>state_dict</c> keys, parameter count and forward pass as this class";
        yield return "/// (input <c>[N, " + string.Join(", ", model.Spec.InputShape) + "]</c>), and one class per block it uses. Weights saved with";
        yield return "/// <c>NetDsl.Interop.PyTorchWeights.Save</c> load into it with <c>load_state_dict(torch.load(path))</c>. Generated at compile";
        yield return "/// time from the same plan as <c>forward</c>; <c>netdsl export &lt;variant&gt; --pytorch out.py</c> writes it to a file.";
        yield return "/// </summary>";
        yield return "public const string " + Naming.Identifiers.PyTorchSource + " =";
        for (int i = 0; i < lines.Length; i++)
            yield return "    \"" + CSharpEscape(lines[i]) + "\\n\"" + (i == lines.Length - 1 ? ";" : " +");
    }

    /// <summary>The Python module for <paramref name="model"/> and the name of its network class.</summary>
    public static (string Source, string ClassName) Source(NetworkModel model, string displayName, CancellationToken ct)
    {
        var e = new PyTorchEmitter(ct);
        var networkClass = e.ClassName(displayName.Replace('.', '_'));
        var schedule = UnitSchedule.Build(model.Spec.Layers.ToList(), model.Spec.Policy, isNetwork: true);
        foreach (var l in model.Spec.Layers) e.Collect(l);
        var units = new List<string>();
        foreach (var b in e.blocks)
        {
            ct.ThrowIfCancellationRequested();
            units.Add(e.Unit(UnitSchedule.Build(b.Layers.ToList(), b.Policy, isNetwork: false), b, null, e.classNames[b.TypeName], BlockDoc(b)));
        }
        long parameters = model.Summary.Sum(r => r.Parameters);
        var shapeIn = Shape(model.Spec.InputShape.Select(i => (long)i));
        var shapeOut = model.Summary.Count == 0 ? shapeIn : Shape(model.Summary[model.Summary.Count - 1].Shape);
        units.Add(e.Unit(schedule, null, model, networkClass,
            $"{displayName}, generated by NetDsl: input {shapeIn}, output {shapeOut}, {parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters."));

        var text = new StringBuilder();
        text.Append("# Generated by NetDsl from the C# declaration ").Append(displayName).Append(": regenerate rather than edit.\n");
        text.Append("# The same sub-module names, state_dict keys, parameter count and forward pass as the generated TorchSharp module;\n");
        text.Append("# weights saved by NetDsl (PyTorchWeights.Save, `netdsl export --weights`) load with model.load_state_dict(torch.load(path)).\n");
        text.Append("import torch\nfrom torch import nn\n");
        if (e.usesZeroPad)
        {
            text.Append("\n\n");
            text.Append("def zero_pad_shortcut(x, stride, channels):\n");
            text.Append("    \"\"\"He et al. 2015's option A shortcut: subsample by stride, zero-pad the channels (half before, half after).\"\"\"\n");
            text.Append("    missing = channels - x.shape[1]\n");
            text.Append("    before, after = missing // 2, missing - missing // 2\n");
            text.Append("    if x.dim() == 2:\n");
            text.Append("        return nn.functional.pad(x, (before, after))\n");
            text.Append("    return nn.functional.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, before, after))\n");
        }
        foreach (var u in units) text.Append("\n\n").Append(u);
        return (text.ToString(), networkClass);
    }

    /// <summary>Gathers the block types of <paramref name="l"/>'s stage (and their nested stages), each once, nested ones first.</summary>
    void Collect(LayerSpec l)
    {
        if (l.Kind != Kinds.Layers.LayerCatalog.Stage || l.Block is not { } b || classNames.ContainsKey(b.TypeName)) return;
        ct.ThrowIfCancellationRequested();
        classNames[b.TypeName] = ""; // marks the visit (the planner rejects cycles; this keeps a walk finite regardless)
        foreach (var inner in b.Layers) Collect(inner);
        classNames[b.TypeName] = ClassName(b.Name);
        blocks.Add(b);
    }

    /// <summary>A Python class name for <paramref name="wanted"/>: invalid characters replaced, keywords and taken names suffixed with '_'.</summary>
    string ClassName(string wanted)
    {
        var sb = new StringBuilder();
        foreach (var c in wanted) sb.Append(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' ? c : '_');
        var name = sb.Length == 0 || char.IsDigit(sb[0]) ? "_" + sb : sb.ToString();
        if (Keywords.Contains(name)) name += "_";
        while (!taken.Add(name)) name += "_";
        return name;
    }

    /// <summary>An ASCII identifier that is not a keyword: usable as <c>self.name</c> (others would be NFKC-normalized or invalid).</summary>
    static bool Plain(string name) =>
        name.Length > 0 && !char.IsDigit(name[0]) && !Keywords.Contains(name)
        && name.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_');

    /// <summary>Reads sub-module <paramref name="name"/>: <c>self.conv1</c>, or <c>getattr(self, "class")</c> for a keyword.</summary>
    static string Get(string name) => Plain(name) ? "self." + name : $"getattr(self, {PyString(name)})";

    /// <summary>Registers sub-module <paramref name="name"/> under exactly that name (so the state_dict keys are the C#'s).</summary>
    static string Set(string name, string value) => Plain(name) ? $"self.{name} = {value}" : $"self.add_module({PyString(name)}, {value})";

    static string PyString(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    static string Num(double d) => Literals.Python(d);

    static string Shape(IEnumerable<long> dims) => "[N, " + string.Join(", ", dims) + "]";

    static string Norm(NormPolicy p, string features, bool map) => Kinds.Normalization.Norms.Of(p.Kind).PyTorch(p, features, map);

    static string Bool(bool b) => Literals.Python(b);

    static string BlockDoc(BlockSpec b)
    {
        var r = b.Policy.Residual;
        return $"{b.Name}: a {(b.Spatial ? "convolutional" : "fully connected")} {(r.Enabled ? "residual" : "plain")} block"
            + (r.Enabled ? $" ({r.Order} unit, {r.Shortcut} shortcut{(r.BranchScale == 1.0 ? "" : ", branch scale " + Num(r.BranchScale))})" : "")
            + $", expansion {b.Expansion}.";
    }

    /// <summary>One <c>nn.Module</c> class, mirroring <c>UnitEmitter.Walk</c> step for step.</summary>
    string Unit(UnitSchedule s, BlockSpec? block, NetworkModel? network, string className, string doc)
    {
        bool spatial = block?.Spatial ?? network!.Spec.InputShape.Count == 3;
        string inName = spatial ? "in_channels" : "in_features", planesName = spatial ? "planes" : "width";
        string outExpr = block is null || block.Expansion == 1 ? planesName : $"{planesName} * {block.Expansion}";
        var init = new List<string>();
        var forward = new List<string>();
        var created = new HashSet<string>();
        int scalars = 0; // scalar parameters go first in __init__: a state_dict lists a module's own parameters before its children's
        void Create(string name, string factory)
        {
            if (created.Add(name)) init.Add(Set(name, factory));
        }

        string cur = block is null ? "" : inName;
        string v = "x";
        bool residual = s.Residual is not null;
        void Next(string expression)
        {
            var target = residual ? "branch" : "out";
            forward.Add($"{target} = {expression}");
            v = target;
        }

        var layers = s.Layers;
        for (int k = 0; k < s.Steps.Count; k++)
        {
            ct.ThrowIfCancellationRequested();
            var step = s.Steps[k];
            string inSize = network is null ? cur : network.StepInputs[k].ToString(CultureInfo.InvariantCulture);
            bool mapHere = network is null ? spatial : network.StepRanks[k] == 3;
            switch (step.Kind)
            {
                case StepKind.Flatten:
                    Next($"torch.flatten({v}, 1)");
                    break;
                case StepKind.Norm:
                {
                    var name = step.Module!;
                    Create(name, Norm(s.Norms[step.Layer], inSize, mapHere));
                    Next($"{Get(name)}({v})");
                    break;
                }
                case StepKind.Act:
                {
                    var a = s.Activations[step.Layer];
                    var name = step.Module!;
                    Create(name, Activation.Python(a));
                    Next($"{Get(name)}({v})");
                    break;
                }
                case StepKind.Scalar:
                {
                    var name = step.Module!;
                    if (created.Add(name)) init.Insert(scalars++, Set(name, $"nn.Parameter(torch.{(step.Multiply && name != "alpha" ? "ones" : "zeros")}(1))"));
                    Next($"{v} {(step.Multiply ? "*" : "+")} {Get(name)}");
                    break;
                }
                case StepKind.Add:
                    usesZeroPad |= s.Residual!.Shortcut == ShortcutKind.ZeroPad;
                    v = ShortcutAndSum(s, v, cur, spatial, inName, init, forward);
                    residual = false;
                    break;
                default:
                {
                    var l = layers[step.Layer];
                    if (l.Kind.Composite)
                    {
                        string firstStride = block is not null && step.Layer == s.StridedLayer ? "stride" : l.Stride.ToString(CultureInfo.InvariantCulture);
                        Create(l.Name, Stage(l, inSize, firstStride, block is null ? null : planesName));
                        Next($"{Get(l.Name)}({v})");
                        if (block is not null) cur = planesName + (l.Block!.Expansion == 1 ? "" : " * " + l.Block.Expansion);
                        break;
                    }
                    string outSize = block is null ? l.Out.ToString(CultureInfo.InvariantCulture) : step.Layer == s.LastChannelLayer ? outExpr : planesName;
                    string stride = block is not null && step.Layer == s.StridedLayer ? "stride" : l.Stride.ToString(CultureInfo.InvariantCulture);
                    bool bias = l.IsWeight && s.Bias(step.Layer);
                    Create(step.Module!, l.Kind.PyTorch(l, new LayerSizes(inSize, outSize, stride, bias, mapHere)));
                    Next($"{Get(step.Module!)}({v})");
                    if (l.IsWeight && block is not null) cur = outSize;
                    break;
                }
            }
        }

        var w = new StringBuilder();
        w.Append("class ").Append(className).Append("(nn.Module):\n");
        w.Append("    \"\"\"").Append(doc.Replace("\\", "\\\\").Replace("\"\"\"", "\\\"\\\"\\\"")).Append("\"\"\"\n\n");
        w.Append(block is null ? "    def __init__(self):\n"
            : spatial ? "    def __init__(self, in_channels, planes, stride=1):\n" : "    def __init__(self, in_features, width):\n");
        w.Append("        super().__init__()\n");
        foreach (var line in init) w.Append("        ").Append(line).Append('\n');
        w.Append("\n    def forward(self, x):\n");
        foreach (var line in forward) w.Append("        ").Append(line).Append('\n');
        w.Append("        return ").Append(v).Append('\n');
        return w.ToString();
    }

    /// <summary>A stage as <c>nn.Sequential</c> of its blocks: the first takes the stride and the channel change.</summary>
    string Stage(LayerSpec l, string inSize, string firstStride, string? blockPlanes)
    {
        var b = l.Block!;
        var cls = classNames[b.TypeName];
        string planes = blockPlanes ?? l.Out.ToString(CultureInfo.InvariantCulture);
        string outPerBlock = b.Expansion == 1 ? planes : blockPlanes is null ? ((long)l.Out * b.Expansion).ToString(CultureInfo.InvariantCulture) : $"{planes} * {b.Expansion}";
        string Make(string input, string stride) => b.Spatial ? $"{cls}({input}, {planes}, {stride})" : $"{cls}({input}, {planes})";
        var first = Make(inSize, firstStride);
        if (l.Blocks <= ListedBlocks)
            return "nn.Sequential(" + string.Join(", ", new[] { first }.Concat(Enumerable.Repeat(Make(outPerBlock, "1"), l.Blocks - 1))) + ")";
        return $"nn.Sequential({first}, *({Make(outPerBlock, "1")} for _ in range({l.Blocks - 1})))";
    }

    /// <summary>The shortcut and the addition (mirrors <c>UnitEmitter.EmitShortcutAndSum</c>); returns the variable holding the sum.</summary>
    static string ShortcutAndSum(UnitSchedule s, string branch, string outSize, bool spatial, string inName, List<string> init, List<string> forward)
    {
        var r = s.Residual!;
        var norm = s.ProjectionNorm;
        string projection = spatial
            ? $"nn.Conv2d({inName}, {outSize}, kernel_size=1, stride=stride, bias={Bool(s.ProjectionBias)})"
            : $"nn.Linear({inName}, {outSize}, bias={Bool(s.ProjectionBias)})";
        if (norm is not null) projection += ", " + Norm(norm, outSize, spatial);
        string shapeChanges = spatial ? $"stride != 1 or {inName} != {outSize}" : $"{inName} != {outSize}";
        string shortcut = "x";
        string projected = s.FirstInputBias is { } bias ? $"x + {Get(bias)}" : "x"; // Fixup: the projection sees the first scalar bias
        switch (r.Shortcut)
        {
            case ShortcutKind.Auto:
                init.Add("self.downsample = None  # projection shortcut only where the shape changes");
                init.Add($"if {shapeChanges}:");
                init.Add($"    self.downsample = nn.Sequential({projection})");
                forward.Add($"shortcut = x if self.downsample is None else self.downsample({projected})");
                shortcut = "shortcut";
                break;
            case ShortcutKind.Projection:
                init.Add($"self.downsample = nn.Sequential({projection})");
                forward.Add($"shortcut = self.downsample({projected})");
                shortcut = "shortcut";
                break;
            case ShortcutKind.ZeroPad:
                init.Add($"self.zeroPadStride = {(spatial ? "stride" : "1")}  # option A shortcut: no parameters");
                init.Add($"self.zeroPadChannels = {outSize} if {shapeChanges} else 0");
                forward.Add("shortcut = x if self.zeroPadChannels == 0 else zero_pad_shortcut(x, self.zeroPadStride, self.zeroPadChannels)");
                shortcut = "shortcut";
                break;
        }
        forward.Add($"out = {(r.BranchScale == 1.0 ? branch : $"{branch} * {Num(r.BranchScale)}")} + {shortcut}");
        return "out";
    }

    static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>The contents of a regular C# string literal.</summary>
    static string CSharpEscape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                default:
                    if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or '\u0085')
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
