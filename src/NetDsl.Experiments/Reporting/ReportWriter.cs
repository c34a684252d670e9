using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using Markdig;
using NetDsl.Experiments.Analysis;
using NetDsl.Experiments.Data;
using NetDsl.Experiments;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Text;
using static System.FormattableString;

namespace NetDsl.Experiments.Reporting;

/// <summary>
/// Renders a report folder from <see cref="RunResults"/>: <c>report.md</c>, <c>index.html</c> (self-contained apart from
/// its images, opens offline), PNG plots under <c>plots/</c>, CSVs with every number under <c>data/</c>, and
/// <c>results.json</c>. Every finding sentence is computed from the numbers; <c>index.html</c> is written last, atomically,
/// so a folder with an <c>index.html</c> is a finished report.
/// </summary>
public static class ReportWriter
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the report; returns the relative paths of every file written.</summary>
    /// <exception cref="IOException">The folder is not writable.</exception>
    public static List<string> Write(RunResults results, string folder)
    {
        Directory.CreateDirectory(folder);
        // A stale report from an earlier run must not look like this one's until this one is complete.
        foreach (var stale in new[] { "index.html", "report.md" }) File.Delete(Path.Combine(folder, stale));
        Directory.CreateDirectory(Path.Combine(folder, "plots"));
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        // The numbers first: should rendering fail, `netdsl report results.json` can render them later.
        File.WriteAllText(Path.Combine(folder, "results.json"), results.ToJson());
        var report = new Builder(results, folder);
        report.Files.Add("results.json");
        report.Render();
        File.WriteAllText(Path.Combine(folder, "report.md"), report.Markdown.ToString());
        report.Files.Add("report.md");
        var html = Html(results, report.Markdown.ToString());
        var temporary = Path.Combine(folder, ".index.html.tmp");
        File.WriteAllText(temporary, html);
        File.Move(temporary, Path.Combine(folder, "index.html"), overwrite: true);
        report.Files.Add("index.html");
        return report.Files;
    }

    /// <summary>
    /// The run's answer in a few console lines: per trained variant the chosen rate, the reported epochs and test accuracy with its
    /// 95% interval, ranked on validation accuracy; variants that did not train at any rate; the best variant against each other with Welch's interval.
    /// Empty for experiments that do not train (their findings are in the report).
    /// </summary>
    public static List<string> Headline(RunResults results)
    {
        var lines = new List<string>();
        var rows = results.Variants.Select(v => (v, sel: v.Selection ?? Selection.Select(v.Jobs, Selection.ClassesOf(results.Settings)))).Where(x => x.sel is not null).Select(x => (x.v, sel: x.sel!)).ToList();
        if (results.Incomplete.Count > 0)
            lines.Add($"partial: {results.Incomplete.Count} of {results.PlannedJobs} jobs have no result ({string.Join(", ", results.Incomplete.GroupBy(j => j.State).Select(g => $"{g.Count()} {g.Key}"))}); the numbers below use the others");
        if (rows.Count == 0) return lines;
        static string Name(VariantResult v) => v.Name.Contains('.') ? v.Name[(v.Name.IndexOf('.') + 1)..] : v.Name;
        // Ranked on validation, like the report; the test accuracy is what each line reports.
        var ranked = rows.OrderByDescending(x => x.sel.Trained).ThenByDescending(x => x.sel.Epochs.Select(e => e.ValidationAccuracy).DefaultIfEmpty(0).Average()).ToList();
        var width = ranked.Max(x => Name(x.v).Length);
        lines.Add($"ranked on validation; test accuracy at the learning rate and epoch chosen on validation (mean over {results.Settings.Seeds.Count} seed(s), 95% CI):");
        foreach (var (v, sel) in ranked)
        {
            var test = Statistics.Summarize(sel.Epochs.Select(e => e.TestAccuracy));
            var ci = double.IsFinite(test.Low) ? $" [{(100 * test.Low).ToString("F1", Inv)}, {(100 * test.High).ToString("F1", Inv)}]" : "";
            lines.Add($"  {Name(v).PadRight(width)}  " + (sel.Trained
                ? $"{(100 * test.Mean).ToString("F1", Inv)}%{ci}  lr {sel.LearningRate.ToString("G", Inv)}, epochs {string.Join(" ", sel.Epochs.Select(e => e.Epoch))}"
                : $"did not train at any rate ({string.Join(", ", sel.Rates.Select(q => $"{q.LearningRate.ToString("G", Inv)}: val {(100 * q.ValidationAccuracy).ToString("F1", Inv)}%"))})"));
        }
        var trained = ranked.Where(x => x.sel.Trained).ToList();
        foreach (var x in trained.Skip(1))
            lines.Add("  " + Builder.Claim(Name(trained[0].v), trained[0].sel.Epochs.Select(e => e.TestAccuracy), Name(x.v), x.sel.Epochs.Select(e => e.TestAccuracy), "test accuracy", 100, "points"));
        return lines;
    }

    static string Html(RunResults results, string markdown)
    {
        var pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();
        var body = Markdown.ToHtml(markdown, pipeline) +
            "<p>The same report as Markdown: <a href=\"report.md\">report.md</a>; every number: <a href=\"results.json\">results.json</a> and the CSV files in <a href=\"data/\">data/</a>.</p>\n";
        var code = new StringBuilder();
        code.Append("<h2 id=\"generated-forward\">Generated forward, side by side</h2>\n<p>The <code>forward</code> methods NetDsl generated for each variant (and its blocks): what differs between the variants, as code.</p>\n<div class=\"side\">\n");
        foreach (var v in results.Variants)
            code.Append(Inv, $"<div class=\"col\"><h4>{Escape.Html(v.Name)}</h4><pre><code>{WebUtility.HtmlEncode(v.ForwardSource)}</code></pre></div>\n");
        code.Append("</div>\n");
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{Escape.Html(results.Title)}}: netdsl report</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
            table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            th { background: #f3f3f3; }
            img { max-width: 100%; border: 1px solid #eee; }
            pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.8em; }
            .side { display: flex; gap: 0.8em; overflow-x: auto; }
            .side .col { flex: 0 0 560px; min-width: 0; }
            blockquote { background: #eef6ee; border-left: 4px solid #4a4; margin: 1em 0; padding: 0.4em 0.8em; }
            </style></head>
            <body>
            {{body}}
            {{code}}
            </body></html>
            """;
    }

    sealed class Builder(RunResults r, string folder)
    {
        public readonly StringBuilder Markdown = new();
        public readonly List<string> Files = new();

        IEnumerable<VariantResult> V => r.Variants;

        /// <summary>Classes of the data (what "chance" and "trains" mean).</summary>
        int Classes => Selection.ClassesOf(r.Settings);

        public void Render()
        {
            var md = Markdown;
            md.AppendLine(Inv, $"# {Md(r.Title)}");
            md.AppendLine();
            md.AppendLine(Md(r.Question));
            md.AppendLine();
            md.AppendLine(Inv, $"Experiment {Md(r.Experiment)}, preset {Md(r.Preset)}: {Plural(r.Variants.Count, "variant")} x {Plural(r.Settings.Seeds.Count, "seed")}, {r.WallSeconds / 60:F1} minutes of wall time on {Plural(r.Settings.Threads, "thread")}, {r.StartedUtc:yyyy-MM-dd HH:mm} UTC.");
            md.AppendLine("Numbers written `m ± s [lo, hi]` are the mean over seeds ± the standard deviation across seeds [the 95% confidence interval of the mean, Student t with n - 1 degrees of freedom]. Claims that one variant beats another give the difference of the means with its 95% Welch interval.");
            md.AppendLine();
            Incomplete();
            Variants();
            Training();
            PerClass();
            Gradients();
            Activations();
            Smoothness();
            CovariateShift();
            Slice();
            Shattering();
            Settings();
            md.AppendLine("The generated `forward` of each variant is listed side by side at the end of `index.html` (and below, one after another).");
            md.AppendLine();
            foreach (var v in V)
            {
                // Raw HTML in Markdown: the name is HTML-encoded; the fence outgrows any backticks in the code.
                var fence = Escape.Fence(v.ForwardSource);
                md.AppendLine(Inv, $"<details><summary>{Escape.Html(v.Name)}: generated forward</summary>");
                md.AppendLine();
                md.AppendLine(fence + "csharp");
                md.AppendLine(v.ForwardSource.TrimEnd());
                md.AppendLine(fence);
                md.AppendLine("</details>");
                md.AppendLine();
            }
        }

        // ---- helpers ----------------------------------------------------------------------------------------------

        /// <summary>The variant's settings other than the axis <paramref name="except"/>, readable: <c>Residual.BnAfterConv</c>, <c>Plain.NoBn</c>
        /// (the Residual axis by its typed value, as variant names spell it; other entries as their text).</summary>
        static string Label(VariantResult v, string except) =>
            string.Join(".", v.Settings.Where(kv => kv.Key != except)
                .Select(kv => kv.Key == nameof(VariantSettings.Residual) ? (v.Axes.Residual == true ? "Residual" : "Plain") : kv.Value));

        /// <summary>The variant's name without its network (<c>Residual.BnAfterConv</c>), as it is: for plot legends.</summary>
        static string Plain(VariantResult v) => v.Name.Contains('.') ? v.Name[(v.Name.IndexOf('.') + 1)..] : v.Name;

        /// <summary>The variant's short name, escaped for Markdown: for tables and findings.</summary>
        static string Short(VariantResult v) => Md(Plain(v));

        /// <summary>
        /// The normalization a variant uses: from its <c>BatchNorm</c> or <c>Normalization</c> axis, else the first normalization
        /// layer type its architecture table lists (a variant written by hand, a network without those axes); "none" without one.
        /// </summary>
        static string NormalizationOf(VariantResult v) => v.Axes switch
        {
            { BatchNorm: { } b } => b == BatchNormVariant.None ? "none" : "BatchNorm",
            { Normalization: { } n } => n == NormalizationVariant.None ? "none" : n.ToString(),
            _ => NormalizationLayers.FirstOrDefault(k => v.Summary.Contains(k, StringComparison.Ordinal)) ?? "none",
        };

        static readonly string[] NormalizationLayers = ["BatchNorm", "GroupNorm", "LayerNorm", "InstanceNorm"];

        /// <summary>Text from the user, the file system or results.json, escaped for Markdown (<see cref="Escape.Markdown"/>).</summary>
        static string Md(string text) => Escape.Markdown(text);

        static double Mean(IEnumerable<double> xs) { var a = xs.Where(double.IsFinite).ToArray(); return a.Length == 0 ? double.NaN : a.Average(); }

        static string F(double x, string format = "F3") => double.IsFinite(x) ? x.ToString(format, Inv) : "n/a";

        /// <summary>"mean ± sd [low, high]" over seeds, the bracket being the 95% Student-t interval of the mean (with <paramref name="interval"/>);
        /// just the mean for one seed.</summary>
        static string MeanSd(IReadOnlyCollection<double> xs, string format = "F3", double scale = 1, bool interval = true)
        {
            var st = Statistics.Summarize(xs);
            if (!double.IsFinite(st.Sd)) return F(st.Mean * scale, format);
            var text = $"{F(st.Mean * scale, format)} ± {F(st.Sd * scale, format)}";
            return interval ? $"{text} [{F(st.Low * scale, format)}, {F(st.High * scale, format)}]" : text;
        }

        static string Percent(string number) => number == "n/a" ? number : number + "%";

        static string Plural(int n, string word) => $"{n} {word}{(n == 1 ? "" : "s")}";

        static string Pct(double x) => double.IsFinite(x) ? (100 * x).ToString("F1", Inv) + "%" : "n/a";

        /// <summary>The variant's selection (stored: the runner and merging store it with the data's class count; computed from its
        /// jobs only for results written before selections were stored, all on 10-class Fashion-MNIST).</summary>
        static VariantSelection? Select(VariantResult v) => v.Selection ?? Selection.Select(v.Jobs);

        /// <summary>The jobs every finding of a variant uses: those at its chosen learning rate (all jobs when it does not train).</summary>
        static List<JobResult> Chosen(VariantResult v) => Selection.ChosenJobs(v).ToList();

        /// <summary>"[low, high]" of a 95% interval, scaled; "n/a (one seed)" without one. With <paramref name="withMean"/>: "mean (95% CI low to high)".</summary>
        static string Interval(Summary s, double scale, string format, string unit, bool withMean = false)
        {
            var mean = F(s.Mean * scale, format) + unit;
            if (!double.IsFinite(s.Low)) return withMean ? $"{mean} (one seed: no interval)" : "n/a (one seed)";
            var range = $"{F(s.Low * scale, format)}{unit} to {F(s.High * scale, format)}{unit}";
            return withMean ? $"{mean} (95% CI {range})" : range;
        }

        /// <summary>
        /// The same claim at each learning rate of the grid that both variants were trained at: measurements scaled by the step
        /// (effective beta, ICS) compare like with like only at one rate, whatever rate each variant's row chose.
        /// </summary>
        static string AtEachRate(VariantResult a, VariantResult b, Func<JobResult, double> metric, string what, string unit, string format = "F3")
        {
            var rates = a.Jobs.Select(j => j.LearningRate).Intersect(b.Jobs.Select(j => j.LearningRate)).OfType<double>().Order().ToList();
            if (rates.Count == 0) return "";
            return " At the same learning rate: " + string.Join("; ", rates.Select(lr =>
                $"{lr.ToString("G", Inv)}: " + Claim(Short(a), a.Jobs.Where(j => j.LearningRate == lr).Select(metric), Short(b), b.Jobs.Where(j => j.LearningRate == lr).Select(metric), what, 1, unit, format))) + ".";
        }

        static string SeedCount(WelchDifference w) => w.Na == w.Nb ? Plural(w.Na, "seed") : $"{w.Na} and {w.Nb} seeds";

        /// <summary>
        /// A pairwise claim about mean(a) - mean(b) with Welch's 95% interval: "A's x is higher than B's by d units (95% CI lo to hi,
        /// Welch, n seeds)", or, when the interval contains 0, "not distinguishable with n seeds"; with one seed on a side, no claim.
        /// </summary>
        internal static string Claim(string a, IEnumerable<double> xa, string b, IEnumerable<double> xb, string what, double scale, string unit, string format = "F2")
        {
            var w = Statistics.Welch(xa, xb);
            var d = w.Difference * scale;
            unit = unit.Length > 0 ? " " + unit : "";
            if (!double.IsFinite(d)) return $"{a} vs {b}: no finite {what} to compare";
            if (!double.IsFinite(w.Low))
                return $"{a} vs {b}: {what} differs by {(d >= 0 ? "+" : "")}{F(d, format)}{unit} (one seed on a side: no interval, so no claim; run more --seeds)";
            var ci = $"95% CI {F(w.Low * scale, format)} to {F(w.High * scale, format)}, Welch, {SeedCount(w)}";
            return w.Distinguishable
                ? $"{a}'s {what} is {(d > 0 ? "higher" : "lower")} than {b}'s by {F(Math.Abs(d), format)}{unit} ({ci})"
                : $"{a} vs {b}: {what} differs by {(d >= 0 ? "+" : "")}{F(d, format)}{unit} ({ci}): not distinguishable with {SeedCount(w)}";
        }

        void Table(IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows, bool numeric = true)
        {
            var h = header.ToList();
            Markdown.AppendLine("| " + string.Join(" | ", h) + " |");
            Markdown.AppendLine("|" + string.Concat(h.Select((_, i) => i == 0 || !numeric ? " :--- |" : " ---: |")));
            foreach (var row in rows) Markdown.AppendLine("| " + string.Join(" | ", row) + " |");
            Markdown.AppendLine();
        }

        void Finding(string text)
        {
            Markdown.AppendLine(Inv, $"> **Finding.** {text}");
            Markdown.AppendLine();
        }

        void Image(string file, string alt)
        {
            Files.Add($"plots/{file}");
            Markdown.AppendLine(Inv, $"![{alt}](plots/{file})");
            Markdown.AppendLine();
        }

        void Plot(string file, string title, string x, string y, IEnumerable<Series> series, bool integerX = true)
        {
            if (Plots.Lines(Path.Combine(folder, "plots", file), title, x, y, series, integerX: integerX))
                Image(file, title);
            else
                Markdown.AppendLine(Inv, $"({title}: no finite values to plot.)\n");
        }

        void Csv(string file, string[] header, IEnumerable<object?[]> rows)
        {
            // RFC 4180: comma-separated, fields with a comma, quote or line break quoted, quotes doubled; numbers round-trip.
            static string Field(object? cell)
            {
                var text = cell switch { null => "", double d => d.ToString("R", Inv), IFormattable f => f.ToString(null, Inv), _ => cell.ToString() ?? "" };
                return text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
            }
            using var writer = new StreamWriter(Path.Combine(folder, "data", file));
            writer.WriteLine(string.Join(",", header.Select(Field)));
            foreach (var row in rows) writer.WriteLine(string.Join(",", row.Select(Field)));
            Files.Add($"data/{file}");
            Markdown.AppendLine(Inv, $"Every number: [data/{file}](data/{file}).");
            Markdown.AppendLine();
        }

        // ---- sections ---------------------------------------------------------------------------------------------

        void Variants()
        {
            Markdown.AppendLine("## Variants");
            Markdown.AppendLine();
            var axes = V.SelectMany(v => v.Settings.Keys).Distinct().ToList();
            Table(new[] { "variant" }.Concat(axes.Select(Md)).Concat(["weight layers", "parameters", "MACs / image"]),
                V.Select(v => new[] { Md(v.Name) }.Concat(axes.Select(a => Md(v.Settings.GetValueOrDefault(a, ""))))
                    .Concat([v.WeightLayers.ToString(Inv), v.Parameters.ToString("N0", Inv), v.MultiplyAccumulates.ToString("N0", Inv)])));
        }

        void Training()
        {
            var trained = V.Where(v => v.Jobs.Any(j => j.LearningRate is not null)).ToList();
            if (trained.Count == 0) return;
            var md = Markdown;
            var st = r.Settings;
            md.AppendLine("## Training");
            md.AppendLine();
            // One Append per sentence: a handler argument that is a concatenation defeats Stryker's mutation of it (CS1620).
            md.Append(Inv, $"SGD, momentum {F(st.Momentum, "G")}, weight decay {F(st.WeightDecay, "G")}, {Md(st.Schedule)} schedule, batch {st.BatchSize}, {Plural(st.Epochs, "epoch")}, augmentation {(st.Augment ? "on" : "off")}, initialization {Md(st.Init)}. ");
            var declared = V.Select(v => (Variant: v, Init: v.Jobs.Select(j => NetDsl.Measurements.Initialization.Declared(j.Init)).FirstOrDefault(i => i is not null))).Where(d => d.Init is not null).ToList();
            if (declared.Count > 0 && declared.Count == V.Count() && V.All(v => v.Axes.Init is not null))
                md.Append(Inv, $"Every variant declares its own initialization (the Init column of the variants table), which replaces {Md(st.Init)}. ");
            else if (declared.Count > 0)
                md.Append(Inv, $"Variants that declare their own initialization keep it: {string.Join(", ", declared.Select(d => $"{Short(d.Variant)} ({Md(d.Init!)})"))}. ");
            md.Append(Inv, $"Each job trains on {st.TrainImages:N0} images and holds out {st.ValidationImages:N0} ({F(100 * st.ValidationFraction, "G")}%, stratified by class, drawn from the job's seed) for validation; {st.TestImages:N0} test images. ");
            md.Append(Inv, $"Every variant trains at each learning rate of the grid ({string.Join(", ", st.LearningRates.Select(x => F(x, "G")))}) with each seed. **Selection reads only validation:** in each job the epoch with the best validation accuracy, ");
            md.Append(Inv, $"per variant the rate with the best mean validation accuracy over seeds. The test accuracy reported is that of the selected epoch's model (the test set is evaluated after every epoch for the plots, and never used for a choice). ");
            md.Append(Inv, $"A rate trains a variant when its mean validation accuracy exceeds {Pct(Selection.TrainedThresholdFor(Classes))} ({(Classes == 10 ? "twice chance" : $"chance, {F(100.0 / Classes, "G3")}% for {Classes} classes, plus a ninth of the way to 100%")}).");
            md.AppendLine();
            md.AppendLine();
            var rows = trained.Select(v => (v, sel: Select(v)!)).ToList();
            Table(["variant", "learning rate (chosen)", "epoch reported (per seed)", "validation accuracy", "test accuracy (mean ± sd)", "test accuracy 95% CI", "training loss at that epoch", "s / epoch", "status"],
                rows.Select(x =>
                {
                    var test = Statistics.Summarize(x.sel.Epochs.Select(e => e.TestAccuracy));
                    var jobs = Chosen(x.v);
                    var diverged = jobs.Count(j => j.Diverged is not null);
                    return new[]
                    {
                        Short(x.v), F(x.sel.LearningRate, "G"), string.Join(", ", x.sel.Epochs.Select(e => e.Epoch.ToString(Inv))),
                        Percent(MeanSd(x.sel.Epochs.Select(e => e.ValidationAccuracy).ToList(), "F1", 100, interval: false)),
                        Percent(MeanSd(x.sel.Epochs.Select(e => e.TestAccuracy).ToList(), "F1", 100, interval: false)),
                        Interval(test, 100, "F1", "%"),
                        MeanSd(x.sel.Epochs.Select(e => e.TrainLoss).ToList(), interval: false),
                        F(Mean(jobs.SelectMany(j => j.Epochs).Select(e => e.Seconds)), "F1"),
                        (x.sel.Trained ? "trained" : "**did not train at any rate**") + (diverged > 0 ? $", {diverged} of {jobs.Count} diverged" : ""),
                    };
                }));
            md.AppendLine("Validation accuracy per learning rate (mean ± sd over seeds, at each job's best epoch; **bold**: the rate chosen; a job that diverged before its first epoch counts 0):");
            md.AppendLine();
            var grid = st.LearningRates.Count > 0 ? st.LearningRates : rows.SelectMany(x => x.sel.Rates.Select(q => q.LearningRate)).Distinct().Order().ToList();
            Table(new[] { "variant" }.Concat(grid.Select(g => $"lr {F(g, "G")}")),
                rows.Select(x => new[] { Short(x.v) }.Concat(grid.Select(g =>
                {
                    var q = x.sel.Rates.FirstOrDefault(q => q.LearningRate == g);
                    if (q is null) return "";
                    var cell = Percent(double.IsFinite(q.ValidationAccuracySd) ? $"{F(100 * q.ValidationAccuracy, "F1")} ± {F(100 * q.ValidationAccuracySd, "F1")}" : F(100 * q.ValidationAccuracy, "F1"));
                    if (!q.Trains) cell += " (did not train)";
                    if (q.Diverged > 0) cell += $" ({q.Diverged} diverged)";
                    return q.LearningRate == x.sel.LearningRate ? $"**{cell}**" : cell;
                }))));

            // Ranked on validation (the ranking is a choice too); test accuracy is what each claim reports.
            var ranked = rows.Where(x => x.sel.Trained).OrderByDescending(x => Mean(x.sel.Epochs.Select(e => e.ValidationAccuracy))).ToList();
            if (ranked.Count > 0)
            {
                var best = ranked[0];
                var text = $"{Short(best.v)} ranks first on validation ({Pct(Mean(best.sel.Epochs.Select(e => e.ValidationAccuracy)))} at learning rate {F(best.sel.LearningRate, "G")}); " +
                           $"its test accuracy is {Interval(Statistics.Summarize(best.sel.Epochs.Select(e => e.TestAccuracy)), 100, "F1", "%", withMean: true)} over {Plural(best.sel.Epochs.Count, "seed")}";
                if (ranked.Count > 1)
                    text += ". Against it: " + string.Join("; ", ranked.Skip(1).Select(x => Claim(Short(best.v), best.sel.Epochs.Select(e => e.TestAccuracy), Short(x.v), x.sel.Epochs.Select(e => e.TestAccuracy), "test accuracy", 100, "points")));
                Finding(text + ".");
            }
            foreach (var x in rows.Where(x => !x.sel.Trained))
            {
                // A job that diverged counts 0: say so rather than report its 0% as an accuracy.
                if (x.sel.Rates.All(q => q.Diverged > 0 && q.Diverged == q.Seeds))
                    Finding($"{Short(x.v)} diverged at every learning rate of the grid (a non-finite training loss in every seed at {string.Join(", ", x.sel.Rates.Select(q => F(q.LearningRate, "G")))}): it is left out of the comparison above; try lower rates (--lr).");
                else
                    Finding($"{Short(x.v)} did not train at any learning rate of the grid: its best mean validation accuracy is {Pct(x.sel.Rates.Max(q => q.ValidationAccuracy))} ({string.Join(", ", x.sel.Rates.Select(q => $"{Pct(q.ValidationAccuracy)} at {F(q.LearningRate, "G")}{(q.Diverged > 0 ? $" ({q.Diverged} of {q.Seeds} diverged)" : "")}"))}; chance is {F(100.0 / Classes, "G3")}%). It is left out of the comparison above; try other rates (--lr) or more epochs.");
            }
            foreach (var x in rows.Where(x => x.sel.Trained))
            {
                var failing = x.sel.Rates.Where(q => !q.Trains).ToList();
                if (failing.Count > 0)
                    Finding($"{Short(x.v)} does not train at {string.Join(" or ", failing.Select(q => F(q.LearningRate, "G")))} (validation accuracy {string.Join(", ", failing.Select(q => Pct(q.ValidationAccuracy)))}) but does at {F(x.sel.LearningRate, "G")} ({Pct(x.sel.Rates.First(q => q.LearningRate == x.sel.LearningRate).ValidationAccuracy)}): with one shared rate the comparison would have measured which variant tolerates that rate.");
            }
            Degradation(rows.Where(x => x.sel.Trained).Select(x => x.v).ToList());
            NormalizationFree(rows.Select(x => (x.v, x.sel)).ToList());
            Plot("validation_accuracy.png", "Validation accuracy per epoch (chosen rate; band: ±1 sd over seeds)", "epoch", "validation accuracy (%)",
                trained.Select(v => MeanCurve(v, e => 100 * e.ValidationAccuracy)));
            Plot("test_accuracy.png", "Test accuracy per epoch (chosen rate; band: ±1 sd over seeds)", "epoch", "test accuracy (%)",
                trained.Select(v => MeanCurve(v, e => 100 * e.TestAccuracy)));
            Plot("train_loss.png", "Training loss per epoch (chosen rate; band: ±1 sd over seeds)", "epoch", "training loss (nats)",
                trained.Select(v => MeanCurve(v, e => e.TrainLoss)));
            Plot("test_loss.png", "Test loss per epoch (chosen rate; band: ±1 sd over seeds)", "epoch", "test loss (nats)",
                trained.Select(v => MeanCurve(v, e => e.TestLoss)));
            var live = trained.SelectMany(v => v.Jobs).Where(s => s.Epochs.Count > 1).Select(s => s.Epochs[^1].LiveTensors - s.Epochs[0].LiveTensors).ToList();
            if (live.Count > 0)
                md.AppendLine(Inv, $"Native tensors alive after the first vs the last epoch: change of {live.Min()} to {live.Max()} across jobs (0 means no growth).\n");
            Csv("epochs.csv", ["variant", "seed", "learning_rate", "epoch", "epoch_learning_rate", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_loss", "test_accuracy", "seconds", "live_tensors"],
                trained.SelectMany(v => v.Jobs.SelectMany(s => s.Epochs.Select(e => new object?[] { v.Name, s.Seed, s.LearningRate, e.Epoch, e.LearningRate, e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.ValidationAccuracy, e.TestLoss, e.TestAccuracy, e.Seconds, e.LiveTensors }))));
            Csv("selection.csv", ["variant", "chosen_learning_rate", "trained", "seed", "selected_epoch", "validation_accuracy", "test_accuracy", "test_loss", "train_loss"],
                rows.SelectMany(x => x.sel.Epochs.Select(e => new object?[] { x.v.Name, x.sel.LearningRate, x.sel.Trained, e.Seed, e.Epoch, e.ValidationAccuracy, e.TestAccuracy, e.TestLoss, e.TrainLoss })));
        }

        /// <summary>
        /// Per-class test accuracy of every variant that was trained, and the confusion matrix of the best one (ranked first on validation,
        /// variants that trained at some rate before those that did not), each
        /// at the variant's chosen learning rate and, per seed, the epoch chosen on validation: the test predictions of the model the
        /// report's accuracy is that of. The dataset's class names (Fashion-MNIST's, Xiao et al. 2017, in results that do not record them).
        /// </summary>
        void PerClass()
        {
            var rows = V.Select(v => (v, sel: Select(v))).Where(x => x.sel is not null).Select(x =>
            {
                var sel = x.sel!;
                var matrices = sel.Epochs.Select(e => (e.Seed, e.Epoch, Matrix: x.v.Jobs.FirstOrDefault(j => j.LearningRate == sel.LearningRate && j.Seed == e.Seed)
                        ?.Epochs.FirstOrDefault(r => r.Epoch == e.Epoch)?.TestConfusion))
                    .Where(m => m.Matrix is not null).Select(m => (m.Seed, m.Epoch, Matrix: m.Matrix!)).ToList();
                return (x.v, sel, matrices);
            }).Where(x => x.matrices.Count > 0).OrderByDescending(x => x.sel.Trained).ThenByDescending(x => Mean(x.sel.Epochs.Select(e => e.ValidationAccuracy))).ToList();
            if (rows.Count == 0) return;
            var classes = rows[0].matrices[0].Matrix.Classes;
            rows = rows.Where(x => x.matrices.All(m => m.Matrix.Classes == classes)).ToList();
            IReadOnlyList<string> names = r.Settings.ClassNames.Count > 0 ? r.Settings.ClassNames : FashionMnist.ClassNames;
            string ClassName(int c) => classes == names.Count ? names[c] : Invariant($"class {c}");
            Markdown.AppendLine("## Accuracy per class");
            Markdown.AppendLine();
            Markdown.AppendLine("Test accuracy on each class (mean ± sd over seeds), of each variant's model at its chosen learning rate and, per seed, the epoch chosen on validation.");
            Markdown.AppendLine();
            Table(new[] { "class" }.Concat(rows.Select(x => Short(x.v) + (x.sel.Trained ? "" : " (did not train)"))),
                Enumerable.Range(0, classes).Select(c => new[] { Md(ClassName(c)) }.Concat(rows.Select(x =>
                    Percent(MeanSd(x.matrices.Select(m => m.Matrix.ClassAccuracy(c)).ToList(), "F1", 100, interval: false))))));
            var best = rows[0];
            long[,] sum = new long[classes, classes];
            foreach (var m in best.matrices)
                for (var t = 0; t < classes; t++)
                    for (var p = 0; p < classes; p++)
                        sum[t, p] += m.Matrix[t, p];
            long RowTotal(int t) => Enumerable.Range(0, classes).Sum(p => sum[t, p]);
            var hardest = Enumerable.Range(0, classes).Where(t => RowTotal(t) > 0).MinBy(t => (double)sum[t, t] / RowTotal(t));
            var confused = Enumerable.Range(0, classes).Where(p => p != hardest).MaxBy(p => sum[hardest, p]);
            Finding(Invariant($"{Short(best.v)} ({(best.sel.Trained ? "ranked first on validation" : "the best on validation, though no variant trained")}) is weakest on {Md(ClassName(hardest))}: {Pct((double)sum[hardest, hardest] / RowTotal(hardest))} of its {RowTotal(hardest):N0} test images ") +
                    Invariant($"over {Plural(best.matrices.Count, "seed")}, most often mistaken for {Md(ClassName(confused))} ({Pct((double)sum[hardest, confused] / RowTotal(hardest))}); ") +
                    Invariant($"strongest on {Md(ClassName(Enumerable.Range(0, classes).Where(t => RowTotal(t) > 0).MaxBy(t => (double)sum[t, t] / RowTotal(t))))}."));
            var file = "confusion_best.png";
            if (Plots.Confusion(Path.Combine(folder, "plots", file), $"Confusion matrix of {Plain(best.v)} on the test set (summed over {Plural(best.matrices.Count, "seed")})", sum,
                    Enumerable.Range(0, classes).Select(ClassName).ToList()))
                Image(file, $"Confusion matrix of {Short(best.v)}");
            Csv("per_class.csv", ["variant", "seed", "learning_rate", "epoch", "class_index", "class", "test_images", "correct", "accuracy"],
                rows.SelectMany(x => x.matrices.SelectMany(m => Enumerable.Range(0, classes).Select(c =>
                    new object?[] { x.v.Name, m.Seed, x.sel.LearningRate, m.Epoch, c, ClassName(c), m.Matrix.Row(c), m.Matrix[c, c], m.Matrix.ClassAccuracy(c) }))));
            Csv("confusion.csv", ["variant", "seed", "learning_rate", "epoch", "true_class", "predicted_class", "count"],
                rows.SelectMany(x => x.matrices.SelectMany(m => Enumerable.Range(0, classes * classes).Select(k =>
                    new object?[] { x.v.Name, m.Seed, x.sel.LearningRate, m.Epoch, ClassName(k / classes), ClassName(k % classes), m.Matrix.Counts[k] }))));
        }

        /// <summary>A line of means with a ±1 sd band (no band where one seed leaves the sd undefined).</summary>
        static Series Banded(string label, IEnumerable<double> x, IEnumerable<Summary> stats)
        {
            var s = stats.ToArray();
            return new Series(label, x.ToArray(), s.Select(t => t.Mean).ToArray(), s.Select(t => t.Mean - t.Sd).ToArray(), s.Select(t => t.Mean + t.Sd).ToArray());
        }

        static Series MeanCurve(VariantResult v, Func<EpochRecord, double> value)
        {
            var jobs = Chosen(v);
            var epochs = jobs.SelectMany(s => s.Epochs).Select(e => e.Epoch).Distinct().OrderBy(e => e).ToArray();
            var stats = epochs.Select(e => Statistics.Summarize(jobs.SelectMany(s => s.Epochs).Where(x => x.Epoch == e).Select(value)));
            var rate = Select(v)?.LearningRate;
            return Banded(Plain(v) + (rate is { } lr ? $" (lr {lr.ToString("G", Inv)})" : ""), epochs.Select(e => (double)e), stats);
        }

        /// <summary>He et al. 2015's comparison: within variants that differ only in depth, does the deeper one train worse?</summary>
        /// <summary>He et al. 2015's comparison: within variants that differ only in depth, does the deeper one train worse? Training loss at
        /// the end of training (the last epoch of each job at the variant's chosen rate), deep minus shallow, with Welch's interval.</summary>
        void Degradation(List<VariantResult> trained)
        {
            static double FinalLoss(JobResult j) => j.Epochs.Count == 0 || j.Diverged is not null ? double.NaN : j.Epochs[^1].TrainLoss;
            var groups = trained.Where(v => v.Axes.Depth is not null)
                .GroupBy(v => Label(v, nameof(VariantSettings.Depth)))
                .Where(g => g.Count() > 1);
            foreach (var g in groups)
            {
                var shallow = g.MinBy(v => v.WeightLayers)!;
                var deep = g.MaxBy(v => v.WeightLayers)!;
                var ls = Chosen(shallow).Select(FinalLoss).ToList();
                var ld = Chosen(deep).Select(FinalLoss).ToList();
                if (!double.IsFinite(Mean(ls)) || !double.IsFinite(Mean(ld))) continue;
                var w = Statistics.Welch(ld, ls);
                var verdict = !w.Distinguishable && double.IsFinite(w.Low)
                    ? "no difference that these seeds can resolve"
                    : w.Difference > 0
                        ? "the deeper network trains worse (higher training loss): the degradation problem"
                        : "the deeper network trains at least as well: no degradation at this depth and budget";
                Finding($"{Md(g.Key)}: the {deep.WeightLayers}-layer network ends at training loss {F(Mean(ld))} vs {F(Mean(ls))} for the {shallow.WeightLayers}-layer one " +
                        $"({Claim($"{deep.WeightLayers}-layer net", ld, $"{shallow.WeightLayers}-layer net", ls, "training loss", 1, "nats")}); {verdict}." +
                        AtEachRate(deep, shallow, FinalLoss, "final training loss", "nats"));
            }
        }

        /// <summary>
        /// The normalization-free question (Zhang et al. 2019; De &amp; Smith 2020): at each depth, each variant without
        /// normalization against the BatchNorm one with He's initialization, test accuracy at each one's chosen rate, Welch's
        /// interval. Applies when the variants vary both Normalization and Init.
        /// </summary>
        void NormalizationFree(List<(VariantResult v, VariantSelection sel)> rows)
        {
            if (!rows.Any(x => x.v.Axes is { Normalization: not null, Init: not null })) return;
            foreach (var depth in rows.GroupBy(x => x.v.Axes.Depth))
            {
                var reference = depth.FirstOrDefault(x => x.v.Axes is { Normalization: NormalizationVariant.BatchNorm, Init: Init.HeFanIn });
                var free = depth.Where(x => x.v.Axes.Normalization == NormalizationVariant.None).ToList();
                if (reference.v is null || free.Count == 0) continue;
                var layers = reference.v.WeightLayers;
                if (!reference.sel.Trained)
                {
                    Finding($"At {layers} weight layers BatchNorm with He's initialization did not train at any rate of the grid: no reference to compare the variants without normalization with.");
                    continue;
                }
                static IEnumerable<double> Test(VariantSelection sel) => sel.Epochs.Select(e => e.TestAccuracy);
                var parts = free.Select(x =>
                {
                    var init = x.v.Axes.Init.ToString()!;
                    if (!x.sel.Trained) return $"without normalization, {init} did not train at any rate of the grid";
                    var w = Statistics.Welch(Test(x.sel), Test(reference.sel));
                    var verdict = !double.IsFinite(w.Low) || !w.Distinguishable ? "" : w.Difference < 0 ? ": below BatchNorm" : ": above BatchNorm";
                    return $"without normalization, {Claim(init, Test(x.sel), "BatchNorm", Test(reference.sel), "test accuracy", 100, "points")}{verdict}";
                });
                var group = depth.FirstOrDefault(x => x.v.Axes is { Normalization: NormalizationVariant.GroupNorm, Init: Init.HeFanIn });
                var gn = group.v is null ? "" : group.sel.Trained
                    ? $" GroupNorm: {Claim("GroupNorm", Test(group.sel), "BatchNorm", Test(reference.sel), "test accuracy", 100, "points")}."
                    : " GroupNorm did not train at any rate of the grid.";
                Finding($"At {layers} weight layers, BatchNorm with He's initialization reaches {Interval(Statistics.Summarize(Test(reference.sel)), 100, "F1", "%", withMean: true)} test accuracy; " +
                        string.Join("; ", parts) + "." + gn);
            }
        }

        void Gradients()
        {
            var measured = V.Where(v => Chosen(v).Any(s => s.Initial is not null)).ToList();
            if (measured.Count == 0) return;
            Markdown.AppendLine("## Gradient flow at initialization");
            Markdown.AppendLine();
            Markdown.AppendLine(Inv, $"One forward and backward pass on a fixed batch of {Math.Min(Runner.ProbeBatch, r.Settings.TrainImages)} training images at initialization (initialization {Md(r.Settings.Init)}{(V.Any(v => v.Jobs.Any(j => NetDsl.Measurements.Initialization.Declared(j.Init) is not null)) ? ", or the one a variant declares" : "")}, training mode; for a trained variant, the seeds of its chosen learning rate). The log10 ratio compares ‖dL/dx‖ at the first unit's input with the last unit's (He et al. 2016): 0 is perfect propagation, positive means the gradient grows toward the input (explodes), negative that it shrinks (vanishes).");
            Markdown.AppendLine();
            double Ratio(VariantResult v) => Mean(Chosen(v).Select(s => s.Initial?.Log10Ratio ?? double.NaN));
            Table(["variant", "weight layers", "log10 ratio first / last unit", "log10 ‖dL/dW‖ first / last layer", "shortcut share of ‖dL/dx‖"],
                measured.Select(v => new[]
                {
                    Short(v), v.WeightLayers.ToString(Inv),
                    MeanSd(Chosen(v).Select(s => s.Initial?.Log10Ratio ?? double.NaN).ToList(), "F2"),
                    F(Mean(Chosen(v).Select(s => s.Initial is { WeightGradientNorms.Count: > 1 } p ? Math.Log10(p.WeightGradientNorms[0].Value / p.WeightGradientNorms[^1].Value) : double.NaN)), "F2"),
                    Chosen(v).Any(s => s.Initial?.ShortcutShare.Count > 0) ? Pct(Mean(Chosen(v).SelectMany(s => s.Initial!.ShortcutShare).Select(x => x.Value))) : "(plain)",
                }));
            var ranked = measured.Where(v => double.IsFinite(Ratio(v))).OrderByDescending(v => Math.Abs(Ratio(v))).ToList();
            if (ranked.Count > 1)
            {
                string Direction(double x) => x > 0 ? "grows toward the input" : "shrinks toward the input";
                string Factor(double x) => $"{Math.Pow(10, Math.Abs(x)).ToString("G3", Inv)} (log10 ratio {F(x, "F2")})";
                IEnumerable<double> Ratios(VariantResult v) => Chosen(v).Select(s => Math.Abs(s.Initial?.Log10Ratio ?? double.NaN));
                Finding($"At initialization, {Short(ranked[0])} propagates the gradient worst: it {Direction(Ratio(ranked[0]))} by a factor {Factor(Ratio(ranked[0]))} across its units; " +
                        $"{Short(ranked[^1])} best: it {Direction(Ratio(ranked[^1]))} by a factor {Factor(Ratio(ranked[^1]))} " +
                        $"({Claim(Short(ranked[0]), Ratios(ranked[0]), Short(ranked[^1]), Ratios(ranked[^1]), "|log10 ratio|", 1, "(log10 units)")})." +
                        // A branch that starts at zero passes the gradient through the shortcuts alone: perfect by construction, not by merit.
                        (ranked[^1].Axes.Init is Init.SkipInit or Init.ZeroGamma or Init.Fixup
                            ? $" {Short(ranked[^1])}'s residual branches start at zero ({ranked[^1].Axes.Init}), so at initialization the gradient crosses each unit through its shortcut alone: a ratio near 0 there holds by construction."
                            : ""));
            }
            // A unit whose gradients are all zero at step 0 (Fixup's zero classifier) has no share: n/a, left out.
            var shares = measured.SelectMany(v => v.Jobs).SelectMany(s => s.Initial?.ShortcutShare ?? []).Select(x => x.Value).Where(double.IsFinite).ToList();
            if (shares.Count > 0)
                Finding($"In the residual units the shortcut carries {Pct(Mean(shares))} of ‖g_shortcut‖ + ‖g_branch‖ on average (range {Pct(shares.Min())} to {Pct(shares.Max())}): the '1' of He et al. 2016's 1 + dF/dx.");
            Plot("unit_gradients.png", "|dL/dx| at each unit's input (initialization; band: ±1 sd over seeds)", "unit (first to last)", "log10 |dL/dx|",
                measured.Select(v =>
                {
                    var profiles = Chosen(v).Where(s => s.Initial is not null).Select(s => s.Initial!.UnitInputGradientNorms).ToList();
                    var units = profiles.Min(p => p.Count);
                    return Banded(Plain(v), Enumerable.Range(0, units).Select(i => (double)i), Enumerable.Range(0, units).Select(i => Statistics.Summarize(profiles.Select(p => Math.Log10(p[i].Value)))));
                }));
            Plot("weight_gradients.png", "|dL/dW| per weight layer (initialization)", "weight layer (input to output)", "log10 |dL/dW|",
                measured.Select(v =>
                {
                    var p = Chosen(v).First(s => s.Initial is not null).Initial!;
                    return new Series(Plain(v), p.WeightGradientNorms.Select((_, i) => (double)i).ToArray(), p.WeightGradientNorms.Select(x => Math.Log10(x.Value)).ToArray());
                }));
            Csv("gradients.csv", ["variant", "seed", "learning_rate", "kind", "name", "value"],
                measured.SelectMany(v => v.Jobs.Where(s => s.Initial is not null).SelectMany(s =>
                    s.Initial!.WeightGradientNorms.Select(x => new object?[] { v.Name, s.Seed, s.LearningRate, "weight_gradient_norm", x.Name, x.Value })
                    .Concat(s.Initial.UnitInputGradientNorms.Select(x => new object?[] { v.Name, s.Seed, s.LearningRate, "unit_input_gradient_norm", x.Name, x.Value }))
                    .Concat(s.Initial.ShortcutShare.Select(x => new object?[] { v.Name, s.Seed, s.LearningRate, "shortcut_share", x.Name, x.Value }))
                    .Append([v.Name, s.Seed, s.LearningRate, "log10_ratio", "", s.Initial.Log10Ratio]))));
        }

        void Activations()
        {
            var measured = V.Where(v => Chosen(v).Any(s => s.Activations.Count > 0)).ToList();
            if (measured.Count == 0) return;
            Markdown.AppendLine("## Activation statistics");
            Markdown.AppendLine();
            Markdown.AppendLine(Inv, $"Over a fixed batch of {Math.Min(Runner.ProbeBatch, r.Settings.TrainImages)} training images, eval mode, averaged over the activation layers. ReLU: units never active over the batch (dead) or active for every image (always on: the unit is linear). Sigmoid: inputs in the near-linear region |x| < 1, and saturated inputs (derivative below 1% of its maximum).");
            Markdown.AppendLine();
            double Avg(VariantResult v, bool last, Func<ActivationLayer, double?> f) => Mean(Chosen(v).Where(s => s.Activations.Count > 0)
                .Select(s => (last ? s.Activations[^1] : s.Activations[0]).Layers.Select(l => f(l) ?? double.NaN)).Select(Mean));
            Table(["variant", "dead ReLU (init)", "dead ReLU (end)", "always-on ReLU (end)", "saturated sigmoid (init)", "saturated sigmoid (end)", "near-linear sigmoid (end)"],
                measured.Select(v => new[]
                {
                    Short(v), Pct(Avg(v, false, l => l.Dead)), Pct(Avg(v, true, l => l.Dead)), Pct(Avg(v, true, l => l.AlwaysActive)),
                    Pct(Avg(v, false, l => l.Saturated)), Pct(Avg(v, true, l => l.Saturated)), Pct(Avg(v, true, l => l.NearLinear)),
                }));
            var relu = measured.Where(v => double.IsFinite(Avg(v, true, l => l.Dead))).OrderBy(v => Avg(v, true, l => l.Dead) + Avg(v, true, l => l.AlwaysActive)).ToList();
            IEnumerable<double> PerSeed(VariantResult v, Func<ActivationLayer, double?> f) => Chosen(v).Where(s => s.Activations.Count > 0).Select(s => Mean(s.Activations[^1].Layers.Select(l => f(l) ?? double.NaN)));
            if (relu.Count > 1)
                Finding($"ReLU: {Short(relu[0])} ends with the fewest dead or always-on units ({Pct(Avg(relu[0], true, l => l.Dead))} dead, {Pct(Avg(relu[0], true, l => l.AlwaysActive))} always on); {Short(relu[^1])} the most ({Pct(Avg(relu[^1], true, l => l.Dead))} dead, {Pct(Avg(relu[^1], true, l => l.AlwaysActive))} always on); " +
                        $"{Claim(Short(relu[^1]), PerSeed(relu[^1], l => l.Dead + l.AlwaysActive), Short(relu[0]), PerSeed(relu[0], l => l.Dead + l.AlwaysActive), "dead + always-on share", 100, "points", "F1")}.");
            var sigmoid = measured.Where(v => double.IsFinite(Avg(v, true, l => l.Saturated))).OrderBy(v => Avg(v, true, l => l.Saturated)).ToList();
            if (sigmoid.Count > 1)
                Finding($"Sigmoid: {Short(sigmoid[0])} ends with the fewest saturated inputs ({Pct(Avg(sigmoid[0], true, l => l.Saturated))}, {Pct(Avg(sigmoid[0], true, l => l.NearLinear))} near-linear); {Short(sigmoid[^1])} the most ({Pct(Avg(sigmoid[^1], true, l => l.Saturated))}, {Pct(Avg(sigmoid[^1], true, l => l.NearLinear))} near-linear); " +
                        $"{Claim(Short(sigmoid[^1]), PerSeed(sigmoid[^1], l => l.Saturated), Short(sigmoid[0]), PerSeed(sigmoid[0], l => l.Saturated), "saturated share", 100, "points", "F1")}.");
            Series PerLayer(VariantResult v, Func<ActivationLayer, double?> f)
            {
                var last = Chosen(v).First(s => s.Activations.Count > 0).Activations[^1];
                return new Series(Plain(v), last.Layers.Select((_, i) => (double)i).ToArray(), last.Layers.Select(l => 100 * (f(l) ?? double.NaN)).ToArray());
            }
            if (relu.Count > 0)
                Plot("relu_dead.png", "Dead ReLU units per layer after training", "activation layer", "dead units (%)", relu.Select(v => PerLayer(v, l => l.Dead)));
            if (sigmoid.Count > 0)
                Plot("sigmoid_saturated.png", "Saturated sigmoid inputs per layer after training", "activation layer", "saturated (%)", sigmoid.Select(v => PerLayer(v, l => l.Saturated)));
            Csv("activations.csv", ["variant", "seed", "learning_rate", "epoch", "layer", "mean", "std", "dead", "always_active", "near_linear", "saturated"],
                measured.SelectMany(v => v.Jobs.SelectMany(s => s.Activations.SelectMany(a => a.Layers.Select(l =>
                    new object?[] { v.Name, s.Seed, s.LearningRate, a.Epoch, l.Name, l.Mean, l.Std, l.Dead, l.AlwaysActive, l.NearLinear, l.Saturated })))));
        }

        void Smoothness()
        {
            var measured = V.Where(v => Chosen(v).Any(s => s.Smoothness.Count > 0)).ToList();
            if (measured.Count == 0) return;
            Markdown.AppendLine("## Loss-landscape smoothness (Santurkar et al. 2018)");
            Markdown.AppendLine();
            Markdown.AppendLine("At regular training steps, along the gradient g for step sizes 0.5, 1, 2 and 4 times the current learning rate, on the step's batch: the loss variation (range of L(w - eta g)), the gradient predictiveness (largest ‖grad L(w - eta g) - g‖, lower is more predictive) and the effective beta-smoothness (largest ‖grad L(w - eta g) - g‖ / ‖eta g‖).");
            Markdown.AppendLine();
            double Avg(VariantResult v, Func<SmoothnessPoint, double> f) => Mean(Chosen(v).SelectMany(s => s.Smoothness).Select(f));
            List<double> SeedMeans(VariantResult v, Func<SmoothnessPoint, double> f) => Chosen(v).Select(s => Mean(s.Smoothness.Select(f))).ToList();
            Table(["variant", "probes", "mean loss variation", "mean gradient change", "mean effective beta", "max effective beta"],
                measured.Select(v => new[]
                {
                    Short(v), Chosen(v).Sum(s => s.Smoothness.Count).ToString(Inv), MeanSd(SeedMeans(v, p => p.LossVariation)), MeanSd(SeedMeans(v, p => p.GradientPredictiveness)),
                    MeanSd(SeedMeans(v, p => p.EffectiveBeta), "F2"), F(Chosen(v).SelectMany(s => s.Smoothness).Select(p => p.EffectiveBeta).DefaultIfEmpty(double.NaN).Max(), "F2"),
                }));
            var ranked = measured.OrderBy(v => Avg(v, p => p.EffectiveBeta)).ToList();
            if (ranked.Count > 1)
            {
                double b0 = Avg(ranked[0], p => p.EffectiveBeta), b1 = Avg(ranked[^1], p => p.EffectiveBeta);
                double l0 = Avg(ranked[0], p => p.LossVariation), l1 = Avg(ranked[^1], p => p.LossVariation);
                var probes = ranked.Min(v => Chosen(v).Sum(x => x.Smoothness.Count));
                // One value per seed (the mean over that job's probes): the seeds are the independent repetitions.
                IEnumerable<double> PerSeed(VariantResult v, Func<SmoothnessPoint, double> f) => Chosen(v).Select(j => Mean(j.Smoothness.Select(f)));
                var beta = Statistics.Welch(PerSeed(ranked[^1], p => p.EffectiveBeta), PerSeed(ranked[0], p => p.EffectiveBeta));
                var betaClaim = Claim(Short(ranked[^1]), PerSeed(ranked[^1], p => p.EffectiveBeta), Short(ranked[0]), PerSeed(ranked[0], p => p.EffectiveBeta), "mean effective beta", 1, "");
                var lossClaim = Claim(Short(ranked[^1]), PerSeed(ranked[^1], p => p.LossVariation), Short(ranked[0]), PerSeed(ranked[0], p => p.LossVariation), "loss variation", 1, "nats", "F3");
                var sameRate = AtEachRate(ranked[^1], ranked[0], j => Mean(j.Smoothness.Select(p => p.EffectiveBeta)), "mean effective beta", "", "F2");
                Finding((beta.Distinguishable
                    ? $"Over {Plural(probes, "probe")} per variant, {Short(ranked[0])} has the smoother landscape: mean effective beta {F(b0, "F2")}, {F(b1 / b0, "F1")}x lower than {Short(ranked[^1])} ({F(b1, "F2")}); {betaClaim}. Loss variation along the gradient: {F(l0)} vs {F(l1)}; {lossClaim}."
                    : $"Over {Plural(probes, "probe")} per variant, the effective beta-smoothness does not separate the variants: {Short(ranked[0])} {F(b0, "F2")}, {Short(ranked[^1])} {F(b1, "F2")}; {betaClaim}. Loss variation along the gradient: {F(l0)} vs {F(l1)}; {lossClaim}.") +
                    " (Each at its chosen learning rate; beta divides by the step, so compare at one rate too.)" + sameRate);
            }
            foreach (var (file, title, label, f) in new (string, string, string, Func<SmoothnessPoint, double>)[]
            {
                ("loss_variation.png", "Loss variation along the gradient", "loss variation (nats)", p => p.LossVariation),
                ("gradient_predictiveness.png", "Gradient predictiveness (lower is more predictive)", "max |grad L(w - eta g) - g|", p => p.GradientPredictiveness),
                ("effective_beta.png", "Effective beta-smoothness", "effective beta", p => p.EffectiveBeta),
            })
                Plot(file, title, "training step", label, measured.Select(v => StepSeries(v, s => s.Smoothness.Select(p => (p.Step, f(p))))));
            Csv("smoothness.csv", ["variant", "seed", "learning_rate", "step", "loss_variation", "gradient_predictiveness", "effective_beta"],
                measured.SelectMany(v => v.Jobs.SelectMany(s => s.Smoothness.Select(p => new object?[] { v.Name, s.Seed, s.LearningRate, p.Step, p.LossVariation, p.GradientPredictiveness, p.EffectiveBeta }))));
        }

        static Series StepSeries(VariantResult v, Func<JobResult, IEnumerable<(int Step, double Value)>> points)
        {
            var all = Chosen(v).SelectMany(points).GroupBy(p => p.Step).OrderBy(g => g.Key).Select(g => (Step: g.Key, Stats: Statistics.Summarize(g.Select(p => p.Value)))).ToList();
            return Banded(Plain(v), all.Select(g => (double)g.Step), all.Select(g => g.Stats));
        }

        void CovariateShift()
        {
            var measured = V.Where(v => Chosen(v).Any(s => s.CovariateShift.Count > 0)).ToList();
            if (measured.Count == 0) return;
            Markdown.AppendLine("## Internal covariate shift (Santurkar et al. 2018, Definition 2.1)");
            Markdown.AppendLine();
            Markdown.AppendLine("For each weight layer i at a training step: G is its gradient, G' the gradient on the same batch after layers 1..i-1 take this step's SGD update. Averaged over layers 2..L (layer 1 has nothing before it) and over the measured steps. Ioffe & Szegedy's hypothesis predicts that BatchNorm makes G' closer to G (cosine nearer 1, smaller distance).");
            Markdown.AppendLine();
            IEnumerable<LayerShift> Shifts(VariantResult v) => Chosen(v).SelectMany(s => s.CovariateShift).SelectMany(p => p.Layers.Skip(1));
            Table(["variant", "steps measured", "mean cos(G, G')", "mean ‖G - G'‖"],
                measured.Select(v => new[]
                {
                    Short(v), Chosen(v).Sum(s => s.CovariateShift.Count).ToString(Inv),
                    MeanSd(Chosen(v).Select(j => Mean(j.CovariateShift.SelectMany(p => p.Layers.Skip(1)).Select(x => x.Cosine))).ToList()),
                    MeanSd(Chosen(v).Select(j => Mean(j.CovariateShift.SelectMany(p => p.Layers.Skip(1)).Select(x => x.L2Distance))).ToList(), "G4"),
                }));
            var bn = measured.Where(v => NormalizationOf(v) != "none").ToList();
            var none = measured.Where(v => NormalizationOf(v) == "none").ToList();
            if (bn.Count > 0 && none.Count > 0)
            {
                // The kind's name when every normalized variant uses the same one (BatchNorm in the presets), else "normalization".
                var kinds = bn.Select(NormalizationOf).Distinct().ToList();
                string kind = kinds.Count == 1 ? kinds[0] : "normalization";
                string about = kind == "BatchNorm" ? "" : " for BatchNorm";
                double cBn = Mean(bn.SelectMany(Shifts).Select(x => x.Cosine)), cNone = Mean(none.SelectMany(Shifts).Select(x => x.Cosine));
                IEnumerable<double> PerSeed(IEnumerable<VariantResult> vs) => vs.SelectMany(Chosen).Select(j => Mean(j.CovariateShift.SelectMany(p => p.Layers.Skip(1)).Select(x => x.Cosine)));
                var w = Statistics.Welch(PerSeed(bn), PerSeed(none));
                Finding($"With {kind} the mean cos(G, G') is {F(cBn)} vs {F(cNone)} without ({Claim(kind, PerSeed(bn), "no " + kind, PerSeed(none), "mean cos(G, G')", 1, "", "F3")}): " + (!w.Distinguishable && double.IsFinite(w.Low)
                    ? $"these seeds cannot tell whether {kind} changes internal covariate shift by this measure."
                    : cBn > cNone
                    ? $"{kind} reduced internal covariate shift in this run, as Ioffe & Szegedy hypothesized{about} (Santurkar et al. report it does not)."
                    : $"{kind} did not reduce internal covariate shift (the gradients change at least as much), as Santurkar et al. report{about}.") +
                    AtEachRate(bn[0], none[0], j => Mean(j.CovariateShift.SelectMany(p => p.Layers.Skip(1)).Select(x => x.Cosine)), "mean cos(G, G')", ""));
            }
            Plot("ics_cosine.png", "cos(G, G') per step (mean over layers 2..L)", "training step", "cos(G, G')",
                measured.Select(v => StepSeries(v, s => s.CovariateShift.Select(p => (p.Step, Mean(p.Layers.Skip(1).Select(x => x.Cosine)))))));
            Plot("ics_distance.png", "|G - G'| per step (mean over layers 2..L)", "training step", "|G - G'|",
                measured.Select(v => StepSeries(v, s => s.CovariateShift.Select(p => (p.Step, Mean(p.Layers.Skip(1).Select(x => x.L2Distance)))))));
            Csv("covariate_shift.csv", ["variant", "seed", "learning_rate", "step", "layer", "l2_distance", "cosine"],
                measured.SelectMany(v => v.Jobs.SelectMany(s => s.CovariateShift.SelectMany(p => p.Layers.Select(x => new object?[] { v.Name, s.Seed, s.LearningRate, p.Step, x.Layer, x.L2Distance, x.Cosine })))));
        }

        void Slice()
        {
            var measured = V.Where(v => Chosen(v).Any(s => s.Slice is not null)).ToList();
            if (measured.Count == 0) return;
            var images = measured.SelectMany(v => v.Jobs).First(s => s.Slice is not null).Slice!.Images;
            Markdown.AppendLine("## Loss landscape: 1-D slice (Li et al. 2018)");
            Markdown.AppendLine();
            Markdown.AppendLine(Inv, $"L(theta + a d) around the trained weights theta along one random filter-normalized direction d (each filter of d scaled to the norm of the weights' filter; biases and BatchNorm parameters not moved), on {images:N0} test images in eval mode.");
            Markdown.AppendLine();
            // The loss at a, linearly interpolated between the grid points around it (ascending alphas; the nearest end outside the
            // grid); the rise at |a| averages both sides.
            static double At(SliceResult s, double a)
            {
                var i = Array.FindLastIndex(s.Alphas, x => x <= a);
                if (i < 0) return s.Losses[0];
                if (i == s.Alphas.Length - 1 || s.Alphas[i] == a) return s.Losses[i];
                var t = (a - s.Alphas[i]) / (s.Alphas[i + 1] - s.Alphas[i]);
                return s.Losses[i] + t * (s.Losses[i + 1] - s.Losses[i]);
            }
            static double Rise(SliceResult s, double at) => (At(s, at) + At(s, -at)) / 2 - At(s, 0);
            double Avg(VariantResult v, Func<SliceResult, double> f) => Mean(Chosen(v).Where(s => s.Slice is not null).Select(s => f(s.Slice!)));
            List<double> PerSeed(VariantResult v, Func<SliceResult, double> f) => Chosen(v).Where(s => s.Slice is not null).Select(s => f(s.Slice!)).ToList();
            Table(["variant", "L(theta)", "rise at a = ±0.25", "rise at a = ±0.5", "rise at a = ±1"],
                measured.Select(v => new[]
                {
                    Short(v), MeanSd(PerSeed(v, s => At(s, 0))),
                    MeanSd(PerSeed(v, s => Rise(s, 0.25))), MeanSd(PerSeed(v, s => Rise(s, 0.5))), MeanSd(PerSeed(v, s => Rise(s, 1))),
                }));
            var ranked = measured.OrderByDescending(v => Avg(v, s => Rise(s, 0.5))).ToList();
            if (ranked.Count > 1)
            {
                double sharp = Avg(ranked[0], s => Rise(s, 0.5)), flat = Avg(ranked[^1], s => Rise(s, 0.5));
                IEnumerable<double> Rises(VariantResult v) => Chosen(v).Where(s => s.Slice is not null).Select(s => Rise(s.Slice!, 0.5));
                Finding($"{Short(ranked[0])}'s loss rises fastest around its trained weights: +{F(sharp)} nats at |a| = 0.5, {F(sharp / flat, "F1")}x the rise of {Short(ranked[^1])} (+{F(flat)}); " +
                        $"{Claim(Short(ranked[0]), Rises(ranked[0]), Short(ranked[^1]), Rises(ranked[^1]), "rise at |a| = 0.5", 1, "nats", "F3")}.");
            }
            Plot("slice.png", "1-D loss slice along a filter-normalized direction", "a", "loss (nats)",
                measured.Select(v => { var s = Chosen(v).First(x => x.Slice is not null).Slice!; return new Series(Plain(v), s.Alphas, s.Losses); }), integerX: false);
            Csv("slice.csv", ["variant", "seed", "learning_rate", "alpha", "loss"],
                measured.SelectMany(v => v.Jobs.Where(s => s.Slice is not null).SelectMany(s => s.Slice!.Alphas.Select((a, i) => new object?[] { v.Name, s.Seed, s.LearningRate, a, s.Slice.Losses[i] }))));
        }

        void Shattering()
        {
            var measured = V.Where(v => Chosen(v).Any(s => s.Shattering is not null)).ToList();
            if (measured.Count == 0) return;
            Markdown.AppendLine("## Shattered gradients (Balduzzi et al. 2017)");
            Markdown.AppendLine();
            Markdown.AppendLine("f: R -> R at initialization, g_i = df/dx at 256 inputs evenly spaced on [-2, 2). With BatchNorm, the statistics are computed over the grid in one pass and then frozen (eval mode) for the per-input gradients. Lag-1 autocorrelation near 1: neighbouring inputs get similar gradients; near 0: white noise (shattered). Without normalization, plain ReLU nets with small biases do not shatter in practice, so the table says which normalization each variant uses.");
            Markdown.AppendLine();
            double Lag1(JobResult s) => s.Shattering!.Autocorrelation.Length > 1 ? s.Shattering.Autocorrelation[1] : double.NaN;
            string Family(VariantResult v) => v.Name.StartsWith("Scaled", StringComparison.Ordinal) ? "Residual.BnAfterConv.scale0.1" : Label(v, nameof(VariantSettings.Depth)).Replace("Plain", "Feedforward");
            int Depth(VariantResult v) => v.Axes.Depth ?? 0;
            Table(["variant", "family", "normalization", "depth", "lag-1 ACF"],
                measured.Select(v => new[]
                {
                    Short(v), Md(Family(v)), NormalizationOf(v),
                    Depth(v).ToString(Inv), MeanSd(Chosen(v).Where(s => s.Shattering is not null).Select(Lag1).ToList()),
                }));
            var families = measured.GroupBy(Family).ToList();
            var deepest = families.Select(g => g.MaxBy(Depth)!).ToList();
            if (deepest.Count > 1)
            {
                var parts = deepest.OrderBy(v => Mean(Chosen(v).Select(Lag1))).Select(v => $"{Md(Family(v))} {F(Mean(Chosen(v).Select(Lag1)), "F2")}");
                var low = deepest.MinBy(v => Mean(Chosen(v).Select(Lag1)))!;
                var high = deepest.MaxBy(v => Mean(Chosen(v).Select(Lag1)))!;
                IEnumerable<double> Lags(VariantResult v) => Chosen(v).Where(s => s.Shattering is not null).Select(Lag1);
                Finding($"At the largest depth ({Depth(high)}), lag-1 ACF: {string.Join(", ", parts)}. {Md(Family(low))}'s gradients are the closest to white noise; {Md(Family(high))} keeps them the most correlated " +
                        $"({Claim(Md(Family(high)), Lags(high), Md(Family(low)), Lags(low), "lag-1 ACF", 1, "")}).");
            }
            Plot("acf_vs_depth.png", "Lag-1 autocorrelation of df/dx vs depth (band: ±1 sd over seeds)", "depth (units)", "lag-1 ACF",
                families.Select(g => Banded(g.Key, g.OrderBy(Depth).Select(v => (double)Depth(v)), g.OrderBy(Depth).Select(v => Statistics.Summarize(Chosen(v).Select(Lag1))))));
            Plot("acf_deepest.png", "Autocorrelation over lags at the largest depth", "lag", "ACF",
                deepest.Select(v => { var a = Chosen(v).First().Shattering!.Autocorrelation; return new Series($"{Family(v)} (depth {Depth(v)})", a.Select((_, i) => (double)i).ToArray(), a); }));
            Plot("gradients_deepest.png", "df/dx over the input grid at the largest depth (seed of the first run)", "x", "df/dx (scaled to unit max)",
                deepest.Select(v =>
                {
                    var g = Chosen(v).First().Shattering!.Gradients;
                    var max = g.Max(Math.Abs);
                    return new Series(Family(v), g.Select((_, i) => -2 + 4.0 * i / g.Length).ToArray(), g.Select(x => max > 0 ? x / max : 0).ToArray());
                }), integerX: false);
            Csv("shattering.csv", ["variant", "seed", "learning_rate", "lag", "acf"],
                measured.SelectMany(v => v.Jobs.Where(s => s.Shattering is not null).SelectMany(s => s.Shattering!.Autocorrelation.Select((a, k) => new object?[] { v.Name, s.Seed, s.LearningRate, k, a }))));
        }

        /// <summary>Jobs of the plan without a result: named before any table, so a partial run is never read as a whole one.</summary>
        void Incomplete()
        {
            if (r.Incomplete.Count == 0) return;
            Markdown.AppendLine(Inv, $"## Incomplete: {r.Incomplete.Count} of {r.PlannedJobs} jobs have no result");
            Markdown.AppendLine();
            Markdown.AppendLine("Every table, statistic and finding below uses only the finished jobs; a variant missing seeds has wider intervals, and one missing a learning rate was chosen among fewer rates. `netdsl status <run folder>` shows these jobs; `netdsl submit` or `netdsl compare ... --resume` runs them, and `netdsl report <run folder>` merges them in.");
            Markdown.AppendLine();
            Table(["job", "state", "detail"], r.Incomplete.Select(j => new[] { j.Id, j.State, j.Detail.Replace("|", "\\|", StringComparison.Ordinal) }), numeric: false);
        }

        void Settings()
        {
            var s = r.Settings;
            Markdown.AppendLine("## Reproduce");
            Markdown.AppendLine();
            // A run made in code (NetDsl.Experiments.Comparison) records its program's command line: its settings are in the program.
            Markdown.AppendLine(s.CommandLine.StartsWith("netdsl ", StringComparison.Ordinal)
                ? "The command below spells out every setting of this run, each word quoted for a POSIX shell (sh, bash, zsh)."
                : "This run was made in code (NetDsl.Experiments.Comparison) by the program below, each word quoted for a POSIX shell; its settings are those of the table, and the same program on the same data gives the same numbers.");
            Markdown.AppendLine();
            var fence = Escape.Fence(s.CommandLine);
            Markdown.AppendLine(fence);
            Markdown.AppendLine(s.CommandLine);
            Markdown.AppendLine(fence);
            Markdown.AppendLine();
            Table(["setting", "value"], new string[][]
            {
                ["seeds", string.Join(", ", s.Seeds.Select(x => x.ToString(Inv)))],
                ["initialization", $"{Md(s.Init)}: {Md(s.InitDescription)}"],
                ["learning rates", s.LearningRates.Count == 0 ? "(no training)" : string.Join(", ", s.LearningRates.Select(x => x.ToString("G", Inv))) + " (each variant at each; chosen on validation)"],
                ["batches", s.BatchNote is { } note ? Invariant($"{s.BatchSize} images; {Md(note)}") : Invariant($"{s.BatchSize} images (the last batch of an epoch may be smaller)")],
                ["validation", Invariant($"{F(100 * s.ValidationFraction, "G")}% of the training images, stratified by class, drawn from each seed ({s.ValidationImages:N0} images)")],
                ["threads", Invariant($"{s.Threads} (OMP_WAIT_POLICY={Md(s.OmpWaitPolicy)})")],
                ["data", s.DataFolder.Length == 0 ? "(none)" : $"{Md(ImageDataset.Find(s.Dataset)?.Title ?? s.Dataset)}: {Md(s.DataFolder)} ({Md(s.DataOrigin)}; {Md(s.DataSplit)})"],
                ["images", Invariant($"{s.TrainImages:N0} training, {s.ValidationImages:N0} validation, {s.TestImages:N0} test")],
                ["wall time", Invariant($"{r.WallSeconds:F0} s from the first job's start to the last one's end (this session's, for jobs that resumed); {V.Sum(v => v.Jobs.Sum(x => x.Seconds)):F0} s summed over the jobs, earlier sessions of a resumed job included")],
            }.Concat(s.Versions.Select(kv => new[] { Md(kv.Key), Md(kv.Value) })), numeric: false);
        }
    }
}
