return await Trawl.Cli.TrawlCli.RunAsync(args).ConfigureAwait(false);
