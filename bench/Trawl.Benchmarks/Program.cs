using BenchmarkDotNet.Running;
using Trawl.Benchmarks;

// dotnet run -c Release --project bench/Trawl.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Trawl.Benchmarks -- --filter '*Parse*' --job short
// dotnet run -c Release --project bench/Trawl.Benchmarks -- alloc-report TRACE.nettrace [PAGES] [TOP]
if (args is ["alloc-report", .. var rest])
{
    return AllocationReport.Run(rest);
}

BenchmarkSwitcher.FromAssembly(typeof(UrlBenchmarks).Assembly).Run(args);
return 0;
