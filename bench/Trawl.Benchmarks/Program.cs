using BenchmarkDotNet.Running;
using Trawl.Benchmarks;

// dotnet run -c Release --project bench/Trawl.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Trawl.Benchmarks -- --filter '*Parse*' --job short
BenchmarkSwitcher.FromAssembly(typeof(UrlBenchmarks).Assembly).Run(args);
