using System.Globalization;
using Microsoft.Diagnostics.Tracing;

namespace Trawl.Benchmarks;

/// <summary>
/// <c>alloc-report TRACE.nettrace [PAGES]</c>: sums the runtime's allocation samples (<c>GCAllocationTick</c>, one about
/// every 100 KB allocated, naming the type that crossed the mark) by type, so a whole crawl's allocations can be
/// attributed without a profiler UI. Record the trace with
/// <c>dotnet-trace collect --profile gc-verbose -- dotnet …Trawl.Bench.Jobs.dll crawl …</c>.
/// </summary>
internal static class AllocationReport
{
    public static int Run(string[] args)
    {
        if (args.Length < 1 || !File.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: alloc-report TRACE.nettrace [PAGES] [TOP]");
            return 2;
        }

        var pages = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        var top = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
        var byType = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        using (var source = new EventPipeEventSource(args[0]))
        {
            source.Clr.GCAllocationTick += tick =>
            {
                var name = tick.TypeName ?? "?";
                byType[name] = byType.GetValueOrDefault(name) + tick.AllocationAmount64;
                total += tick.AllocationAmount64;
            };
            source.Process();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sampled {total / 1024.0 / 1024.0:F1} MiB, {total / 1024.0 / pages:F1} KiB per page over {pages} pages"));
        Console.WriteLine("| Type | KiB per page | Share |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (name, bytes) in byType.OrderByDescending(static pair => pair.Value).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `` {name} `` | {bytes / 1024.0 / pages:F2} | {100.0 * bytes / total:F1}% |"));
        }

        return 0;
    }
}
