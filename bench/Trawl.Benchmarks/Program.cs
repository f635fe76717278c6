using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Trawl.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Trawl.Benchmarks -- --filter '*Parse*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
