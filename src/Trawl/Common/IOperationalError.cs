namespace Trawl;

/// <summary>
/// Marks an exception as an expected operational condition whose message says all an operator needs (a full disk, a
/// Redis that stayed unreachable, a crawl deleted from Redis), as opposed to a bug. When one stops a crawl, the crawl
/// logs its message on one line, without the stack trace that a bug's exception keeps.
/// </summary>
/// <remarks>
/// An exception type that an extension or a frontier throws for such a condition implements this interface; nothing
/// else is needed. The crawl's decision is the type's, not a list in the engine.
/// </remarks>
#pragma warning disable CA1040 // A marker: the type says it all, there is nothing to call.
public interface IOperationalError
#pragma warning restore CA1040
{
}
