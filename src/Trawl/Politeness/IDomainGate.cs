namespace Trawl.Politeness;

/// <summary>
/// A gate every request to a domain passes just before it starts, after the crawl's own per-domain politeness: for
/// limits that span more than this process, such as a request rate and concurrency shared by all the workers of a
/// cluster (<c>Trawl.Redis.RedisDomainLimiter</c>). Give it to the crawl with <see cref="Engine.CrawlerBuilder.UseDomainGate"/>.
/// </summary>
/// <remarks>
/// <para>The engine asks <see cref="TryAcquireAsync"/> once per request start, robots.txt fetches included, from its
/// dispatch loop. A refusal defers only that domain, by <see cref="DomainPermit.RetryAfter"/>; other domains go on.
/// For every permit acquired, the engine calls <see cref="ReleaseAsync"/> exactly once, when the download is over
/// (whether it succeeded, failed, was skipped by middleware or was interrupted by a pause). After a stop at once the
/// release is given only a second, and a process can always be killed, so a gate must also let permits lapse on its
/// own.</para>
/// <para>An exception other than cancellation means the gate is unavailable: the crawl stops with that error, as it
/// does when its frontier gives up.</para>
/// </remarks>
public interface IDomainGate
{
    /// <summary>Asks to start one request to <paramref name="domain"/> (a host name, lower-case, IDN in ASCII form).</summary>
    /// <returns>Whether the request may start now, or how long until a try may succeed.</returns>
    ValueTask<DomainPermit> TryAcquireAsync(string domain, CancellationToken cancellationToken);

    /// <summary>Gives back one permit acquired for <paramref name="domain"/>: its request is over.</summary>
    ValueTask ReleaseAsync(string domain, CancellationToken cancellationToken);
}
