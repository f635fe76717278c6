namespace Trawl.Sandbox;

/// <summary>An author page of the quotes section, <c>/quotes/author/{Slug}/</c>, as a spider should extract it.</summary>
/// <param name="Name">The decoded text of <c>h3.author-title</c>.</param>
/// <param name="Slug">The last segment of the author page's path.</param>
/// <param name="BornDate">The text of <c>span.author-born-date</c>, for example <c>March 3, 1851</c>.</param>
/// <param name="BornLocation">The text of <c>span.author-born-location</c>, for example <c>in Bristol, England</c>.</param>
/// <param name="Description">The decoded text of <c>div.author-description</c>.</param>
public sealed record SandboxAuthor(string Name, string Slug, string BornDate, string BornLocation, string Description);
