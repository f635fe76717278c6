using Trawl.Rendering;

namespace Trawl.Tests.Rendering;

public sealed class AutoRenderPolicyTests
{
    [Theory]
    [InlineData("https://shop.example/app/item/7", "https://shop.example/app/item/*")]
    [InlineData("https://shop.example/app/item/8?x=1", "https://shop.example/app/item/*")]
    [InlineData("https://shop.example/2024/05/news-story", "https://shop.example/#/#/*")]
    [InlineData("https://shop.example/", "https://shop.example/")]
    [InlineData("https://shop.example/app/", "https://shop.example/app/")]
    [InlineData("http://127.0.0.1:8080/pages/3", "http://127.0.0.1:8080/pages/*")]
    public void PatternOf_GeneralizesTheLastSegmentAndNumbers(string url, string pattern) =>
        AutoRenderPolicy.PatternOf(new Uri(url)).ShouldBe(pattern);

    [Fact]
    public void Pattern_IsRenderedAtOnce_AfterRenderingHelpedTwiceInARow()
    {
        var policy = new AutoRenderPolicy(learnAfter: 2, recheckEvery: 100);
        const string pattern = "https://a.example/app/*";

        policy.Choose(pattern).ShouldBe(AutoChoice.PlainFirst);
        policy.Learn(pattern, AutoLesson.RenderingHelped);
        policy.Choose(pattern).ShouldBe(AutoChoice.PlainFirst, "one page is not yet a pattern");
        policy.Learn(pattern, AutoLesson.PlainSufficed);
        policy.Learn(pattern, AutoLesson.RenderingHelped);
        policy.Choose(pattern).ShouldBe(AutoChoice.PlainFirst, "the streak was broken");
        policy.Learn(pattern, AutoLesson.RenderingHelped);

        policy.Choose(pattern).ShouldBe(AutoChoice.Render);
        policy.Learned[pattern].ShouldBeTrue();
    }

    [Fact]
    public void LearnedPattern_IsCheckedAgainBothWays_EveryRecheckInterval_AndForgottenWhenItChanged()
    {
        var policy = new AutoRenderPolicy(learnAfter: 1, recheckEvery: 10);
        const string pattern = "https://a.example/app/*";
        policy.Learn(pattern, AutoLesson.RenderingHelped);

        var choices = Enumerable.Range(0, 30).Select(_ => policy.Choose(pattern)).ToList();

        choices.Count(static c => c == AutoChoice.PlainFirst).ShouldBe(3);
        choices.Count(static c => c == AutoChoice.Render).ShouldBe(27);

        // A recheck found the plain page sufficient: the section changed, and what was learned no longer holds.
        policy.Learn(pattern, AutoLesson.PlainSufficed);
        policy.Choose(pattern).ShouldBe(AutoChoice.PlainFirst);
        policy.Learned.ShouldNotContainKey(pattern);
    }

    [Fact]
    public void Pattern_WhereRenderingDidNotHelp_StaysPlain()
    {
        var policy = new AutoRenderPolicy(learnAfter: 2, recheckEvery: 100);
        const string pattern = "https://a.example/tools/*";

        policy.Learn(pattern, AutoLesson.RenderingDidNotHelp);

        policy.Choose(pattern).ShouldBe(AutoChoice.PlainOnly);
        policy.Learned[pattern].ShouldBeFalse();
    }
}
