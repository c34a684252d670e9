using System;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using NetDsl.Fuzzing;

// The generator's mutation fuzzer. `dotnet run -c Release --project tests/NetDsl.Fuzzing -- --mutants 10000` checks
// 10,000 mutants and prints the totals; `show <index>` prints one mutant; `keystroke` measures the generator's cost
// of a keystroke in an unrelated file.
var mutants = new Option<int>("--mutants", "-n") { Description = "Number of mutants to check", DefaultValueFactory = _ => 10_000 };
var seed = new Option<int>("--seed", "-s") { Description = "Seed of the random stream (mutant i of seed s is always the same)", DefaultValueFactory = _ => 1 };
var start = new Option<int>("--start") { Description = "Index of the first mutant", DefaultValueFactory = _ => 0 };
var limit = new Option<double>("--time-limit") { Description = "Time limit of one generator run, seconds (longer is a hang)", DefaultValueFactory = _ => 1.0 };
var noRun = new Option<bool>("--no-run") { Description = "Skip building and running the networks (compile-time checks only)" };
var verbose = new Option<bool>("--verbose", "-v") { Description = "One line per mutant: its seed, mutations, times and findings" };
var output = new Option<string>("--output", "-o") { Description = "Folder for mutants with findings", DefaultValueFactory = _ => "artifacts/fuzz" };

var root = new RootCommand("Mutation fuzzer of the NetDsl generator: every mutant must give no generator exception, no error or warning in a generated file, no run over the time limit, and, when it compiles, networks that match their Summary.");
foreach (var o in new Option[] { mutants, seed, start, limit, noRun, verbose, output }) root.Options.Add(o);
root.SetAction(parse =>
{
    TorchSharp.torch.set_num_threads(1);
    var options = new FuzzOptions
    {
        Count = parse.GetValue(mutants), Seed = parse.GetValue(seed), Start = parse.GetValue(start),
        TimeLimit = TimeSpan.FromSeconds(parse.GetValue(limit)), RunModels = !parse.GetValue(noRun), Verbose = parse.GetValue(verbose), Output = parse.GetValue(output),
    };
    Console.WriteLine($"seed {options.Seed}, mutants {options.Start} to {options.Start + options.Count - 1}, time limit {options.TimeLimit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s, {Mutations.All.Count} mutation kinds, {Seeds.Load().Count} seed networks from {string.Join(", ", Seeds.Files())}");
    var totals = Fuzzer.Run(options, Console.WriteLine);
    Console.Write(totals);
    Console.WriteLine($"mutants with findings written to {options.Output}");
    return totals.TotalFindings == 0 ? 0 : 1;
});

var index = new Argument<int>("index") { Description = "Mutant index" };
var generatedFolder = new Option<string?>("--generated") { Description = "Write the generated files to this folder" };
var show = new Command("show", "Print one mutant's source and check it") { index };
show.Options.Add(seed);
show.Options.Add(generatedFolder);
show.SetAction(parse =>
{
    var mutant = Fuzzer.Make(parse.GetValue(seed), parse.GetValue(index));
    Console.WriteLine(mutant);
    Fuzzer.WarmUp();
    var outcome = new Oracle { TimeLimit = TimeSpan.FromSeconds(30) }.Check(mutant);
    Console.WriteLine($"generator {outcome.GeneratorMilliseconds:F1} ms, compile {outcome.CompileMilliseconds:F0} ms, run {outcome.RunMilliseconds:F0} ms; ND: {string.Join(", ", outcome.DiagnosticIds)}; compiled: {outcome.Compiled}; models run: {outcome.ModelsRun}, too large: {outcome.ModelsTooLarge}");
    foreach (var f in outcome.Findings) Console.WriteLine($"{f.Kind}: {f.Message}");
    if (parse.GetValue(generatedFolder) is { } folder)
    {
        System.IO.Directory.CreateDirectory(folder);
        foreach (var (hint, text) in outcome.Generated) System.IO.File.WriteAllText(System.IO.Path.Combine(folder, hint), text);
    }
    return outcome.Findings.Count == 0 ? 0 : 1;
});
root.Subcommands.Add(show);

var files = new Argument<string[]>("files") { Description = "C# source files (one compilation)", Arity = ArgumentArity.OneOrMore };
var version = new Option<string>("--lang-version") { Description = "C# language version of the compilation", DefaultValueFactory = _ => "latest" };
var check = new Command("check", "Check source files of your own with the fuzzer's oracle (generator, compilation, and the networks run against their Summary)") { files };
check.Options.Add(version);
check.SetAction(parse =>
{
    if (!Microsoft.CodeAnalysis.CSharp.LanguageVersionFacts.TryParse(parse.GetValue(version), out var v))
    {
        Console.Error.WriteLine($"error: unknown C# version '{parse.GetValue(version)}'");
        return 2;
    }
    var mutant = new Mutant(-1, "check", Array.Empty<string>(), parse.GetValue(files)!.Select(f => new SourceFile(f, System.IO.File.ReadAllText(f))).ToList(), v);
    Fuzzer.WarmUp();
    var outcome = new Oracle { TimeLimit = TimeSpan.FromSeconds(30) }.Check(mutant);
    Console.WriteLine($"generator {outcome.GeneratorMilliseconds:F1} ms, compile {outcome.CompileMilliseconds:F0} ms, run {outcome.RunMilliseconds:F0} ms; ND: {string.Join(", ", outcome.DiagnosticIds)}; compiled: {outcome.Compiled}; models run: {outcome.ModelsRun}, too large: {outcome.ModelsTooLarge}");
    foreach (var f in outcome.Findings) Console.WriteLine($"{f.Kind}: {f.Message}");
    return outcome.Findings.Count == 0 ? 0 : 1;
});
root.Subcommands.Add(check);

var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 200, Description = "Times to build and run the mutant's models" };
var stress = new Command("stress", "Build and run one mutant's models many times while another thread forces garbage collections (finds interop lifetime races)") { index };
stress.Options.Add(seed);
stress.Options.Add(rounds);
stress.SetAction(parse =>
{
    var mutant = Fuzzer.Make(parse.GetValue(seed), parse.GetValue(index));
    var image = Oracle.Compile(mutant);
    if (image is null) { Console.Error.WriteLine("the mutant does not compile"); return 2; }
    using var stop = new System.Threading.CancellationTokenSource();
    var collector = System.Threading.Tasks.Task.Run(() => { while (!stop.IsCancellationRequested) { GC.Collect(); GC.WaitForPendingFinalizers(); } });
    int failures = 0;
    for (int r = 0; r < parse.GetValue(rounds); r++)
    {
        var outcome = new Outcome();
        ModelRun.Check(image, outcome);
        foreach (var f in outcome.Findings) { failures++; Console.WriteLine($"round {r}: {f.Message}"); }
    }
    stop.Cancel();
    collector.Wait();
    Console.WriteLine($"{failures} failures in {parse.GetValue(rounds)} rounds");
    return failures == 0 ? 0 : 1;
});
root.Subcommands.Add(stress);

var keystrokes = new Option<int>("--keystrokes") { DefaultValueFactory = _ => 40, Description = "Keystrokes to time" };
var generatorPath = new Option<string?>("--generator") { Description = "Another build of NetDsl.Generators.dll to time instead (for before/after)" };
var keystroke = new Command("keystroke", "Median generator cost of a keystroke in an unrelated file over the seed files (the driver's step timings)") { keystrokes, generatorPath };
keystroke.SetAction(parse => KeystrokeCost.Run(parse.GetValue(keystrokes), parse.GetValue(generatorPath)));
root.Subcommands.Add(keystroke);

return root.Parse(args).Invoke();
