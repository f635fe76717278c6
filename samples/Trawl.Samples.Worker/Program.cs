// A worker service that crawls a site: the Generic Host runs the crawl as a background service, its settings come
// from appsettings.json and the environment (Trawl__Concurrency=4, Pages__StartUrl=...), it logs through the host's
// logging, and stopping the service (Ctrl+C, SIGTERM from systemd or Kubernetes) pauses the crawl, which resumes from
// its job directory on the next start. Once the crawl has finished, the application stops with exit code 0.
//   dotnet run --project samples/Trawl.Samples.Worker
//   Pages__StartUrl=http://127.0.0.1:5000/ Trawl__Concurrency=4 dotnet run --project samples/Trawl.Samples.Worker
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trawl.Hosting;
using Trawl.Samples.Worker;

// appsettings.json is read from beside the program, wherever it is started from; relative paths in it (the job
// directory, the output) are relative to the working directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
// The host logs a failure to start with its stack trace; this program says what is wrong in one line instead (below).
builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
builder.Services.AddOptions<PagesSpiderSettings>()
    .BindConfiguration("Pages")
    .Validate(s => Uri.TryCreate(s.StartUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https", "Pages:StartUrl must be an absolute http or https URL.")
    .ValidateOnStart();
builder.Services.AddTrawl<PagesSpider>()
    .AddPipeline<TitlePipeline>();

using var host = builder.Build();
try
{
    await host.RunAsync();
}
catch (OptionsValidationException ex)
{
    // A bad setting stops the host before anything runs: say which, in one line, and exit with code 2.
    await Console.Error.WriteLineAsync($"Configuration error: {ex.Message}");
    return 2;
}

// 0 once the crawl has finished or was paused by the host's shutdown; 1 or 2 when it failed (as the trawl command's).
return Environment.ExitCode;
