// A console app with its own spiders gets every trawl command:
//   dotnet run --project samples/Trawl.Samples.Quotes -- crawl quotes -o quotes.jsonl
//   dotnet run --project samples/Trawl.Samples.Quotes -- crawl quotes --arg StartUrl=http://127.0.0.1:5000/quotes/ -o quotes.jsonl
return await Trawl.Cli.TrawlCli.RunAsync(args, typeof(Trawl.Samples.Quotes.QuotesSpider).Assembly);
