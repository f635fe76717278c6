namespace Trawl.Sandbox;

/// <summary>One quote of the quotes section, as a spider should extract it.</summary>
/// <remarks>Record equality compares <see cref="Tags"/> by reference; compare tags with <c>SequenceEqual</c>.</remarks>
/// <param name="Page">The quotes page that shows it, from 1 (<c>/quotes/page/{Page}/</c>).</param>
/// <param name="Number">Its number across the whole section, from 1. Quote texts end with it, so every text is unique.</param>
/// <param name="Text">
/// The decoded text of its <c>span.text</c>, curly quotes included, for example <c>“A map is only a promise… (#1)”</c>.
/// In the HTML some characters are written as entities (<c>&amp;amp;</c>, <c>&amp;#8217;</c>, <c>&amp;eacute;</c>).
/// </param>
/// <param name="Author">The decoded text of its <c>small.author</c>.</param>
/// <param name="AuthorSlug">The slug of the author's page, <c>/quotes/author/{AuthorSlug}/</c>.</param>
/// <param name="Tags">Its tags, in page order (ordinal), each linked as <c>/quotes/tag/{tag}/</c>.</param>
public sealed record SandboxQuote(int Page, int Number, string Text, string Author, string AuthorSlug, IReadOnlyList<string> Tags);
