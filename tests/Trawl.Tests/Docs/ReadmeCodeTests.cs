using Trawl.Tests.Support;

namespace Trawl.Tests.Docs;

/// <summary>The README's C# blocks compile as written, <c>using</c> lines included, against the library.</summary>
public sealed class ReadmeCodeTests
{
    [Fact]
    public void ReadmeCSharpBlocks_CompileAsWritten()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root(), "README.md"));

        var (blocks, _) = MarkdownCSharp.Blocks(readme);

        blocks.Count.ShouldBeGreaterThanOrEqualTo(4, "the spider, running it, the builder and the hosted command line");
        MarkdownCSharp.Errors(blocks).ShouldBeEmpty();
    }

    [Fact]
    public void ABlockThatDoesNotCompile_IsReported_WithItsReadmeLine()
    {
        const string Markdown = """
            # Title

            ```csharp
            public sealed class Fine { }
            ```

            Text.

            ```csharp
            using Trawl.Crawling;

            var options = new CrawlOptions { Concurency = 4 };
            ```

            <!-- not compiled: a fragment -->
            ```csharp
            this is not C#
            ```
            """;

        var (blocks, marked) = MarkdownCSharp.Blocks(Markdown);
        var errors = MarkdownCSharp.Errors(blocks);

        blocks.Count.ShouldBe(2);
        marked.ShouldBe(1);
        errors.ShouldHaveSingleItem().ShouldStartWith("README line 12: CS0117");
        errors[0].ShouldContain("Concurency");
    }

    [Fact]
    public void AProgramWithoutTheUsingItNeeds_DoesNotCompile()
    {
        // The README's old quick start: CrawlOptions without 'using Trawl.Crawling;'.
        var (blocks, _) = MarkdownCSharp.Blocks("""
            ```csharp
            using Trawl.Engine;

            var result = await new Trawl.Samples.Quotes.QuotesSpider().RunAsync(new CrawlOptions { Output = "quotes.jsonl" });
            ```
            """);

        MarkdownCSharp.Errors(blocks).ShouldHaveSingleItem().ShouldContain("CS0246");
    }
}
