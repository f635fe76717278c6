using System.Diagnostics;
using Trawl.Http;

namespace Trawl.Tests.Architecture;

/// <summary>
/// The core's namespaces depend on each other one way only (STYLE.md, "Layers and faults"): no cycle, read from the
/// compiled assembly; and the layer each sits in, bottom up, is the one README.md's layout describes.
/// </summary>
public sealed class NamespaceLayerTests
{
    // Bottom up. A namespace may use only namespaces of lower layers: siblings in one layer know nothing of each other.
    private static readonly string[][] Layers =
    [
        ["Trawl.Logging"],
        ["Trawl", "Trawl.FileSystem"],
        ["Trawl.Html"],
        ["Trawl.Selectors"],
        ["Trawl.Http"],
        ["Trawl.Downloader", "Trawl.Frontier"],
        ["Trawl.Middleware", "Trawl.Politeness", "Trawl.Items", "Trawl.HttpCache", "Trawl.Rendering", "Trawl.Sitemaps"],
        ["Trawl.Jobs"],
        ["Trawl.Crawling"],
        ["Trawl.Spiders"],
        ["Trawl.Spiders.Declarative"],
        ["Trawl.Engine"],
    ];

    private static readonly Lazy<NamespaceGraph> Core = new(() => NamespaceGraph.Read(typeof(Request).Assembly.Location, "Trawl"));

    [Fact]
    public void CoreNamespaces_FormNoDependencyCycle()
    {
        var cycles = Core.Value.Cycles();

        cycles.ShouldBeEmpty("namespaces that reach each other: " + string.Join("; ", cycles.Select(static c => string.Join(" <-> ", c))));
    }

    [Fact]
    public void CoreNamespaces_UseOnlyLowerLayers()
    {
        var layerOf = Layers.SelectMany(static (layer, i) => layer.Select(ns => (ns, i))).ToDictionary(static p => p.ns, static p => p.i, StringComparer.Ordinal);
        var uses = Core.Value.Uses;

        uses.Keys.Order(StringComparer.Ordinal).ShouldBe(layerOf.Keys.Order(StringComparer.Ordinal), "every namespace of the core has its layer here, and README.md's layout");
        var upward = uses
            .SelectMany(static p => p.Value.Select(target => (From: p.Key, To: target)))
            .Where(edge => layerOf[edge.To] >= layerOf[edge.From])
            .Select(static edge => $"{edge.From} -> {edge.To}")
            .ToList();
        upward.ShouldBeEmpty("uses of a namespace in the same or a higher layer");
    }

    [Fact]
    public void NamespaceGraph_SeesUsesTheSourceDoesNotSpellOut()
    {
        // The engine calls the root namespace's Log without a using directive, and every layer above Http takes requests.
        var uses = Core.Value.Uses;

        uses["Trawl.Engine"].ShouldContain("Trawl");
        uses["Trawl.Engine"].ShouldContain("Trawl.Spiders");
        uses["Trawl.Frontier"].ShouldContain("Trawl.Http");
        uses["Trawl.Http"].ShouldNotContain("Trawl.Spiders");
    }

    [Fact]
    public void NsCyclesScript_FindsNoCycleInTheSource()
    {
        var root = Trawl.Tests.Support.Repository.Root();
        var scripts = new[] { Path.Combine(root, "eng", "ns-cycles.py"), Path.GetFullPath(Path.Combine(root, "..", "shared", "tools", "ns-cycles.py")) }
            .Where(File.Exists)
            .ToList();
        scripts.ShouldNotBeEmpty("eng/ns-cycles.py is in the repository");

        foreach (var script in scripts)
        {
            var (exitCode, output) = Run("python3", root, script, Path.Combine("src", "Trawl"));

            output.ShouldContain("0 in 0 cycle group(s)", customMessage: script);
            exitCode.ShouldBe(0, output);
        }
    }

    private static (int ExitCode, string Output) Run(string program, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }
}
