using Trawl.Politeness;

namespace Trawl.Engine;

/// <summary>
/// The permit protocol of a domain gate (<see cref="CrawlerBuilder.UseDomainGate"/>: limits shared beyond this process, such as a
/// cluster-wide rate per domain): a permit is asked for just before a request starts, after the domain's own slots let
/// it, and given back exactly once when its download is over, however it ended.
/// </summary>
/// <remarks>
/// <para>A gate that throws is unavailable (a Redis outage past its limit): the run stops with that error, as when its
/// frontier fails.</para>
/// <para>Asking is not cut short by a pause: a permit granted to a try nobody waits for any more would never be given
/// back. A permit granted while the run started pausing is given back at once. After a stop at once a release is given
/// a second to reach the gate, then left to lapse (the gate lets permits lapse on its own).</para>
/// </remarks>
internal sealed class DomainGatePermits(IDomainGate gate, CrawlLifetime lifetime, TimeProvider time)
{
    // The shortest a refusal defers its domain, so a gate that answers "now" cannot spin the dispatcher.
    private static readonly TimeSpan MinWait = TimeSpan.FromMilliseconds(5);

    // After a stop at once, how long a permit's release may take before it is left to lapse.
    private static readonly TimeSpan AbortedReleaseTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Asks once for a permit to start a request to <paramref name="domain"/>. Acquired: it must be given back with
    /// <see cref="ReleaseAsync"/>. Refused: <see cref="DomainPermit.RetryAfter"/> says how long to defer the domain. Not
    /// acquired with no wait: the run is stopping (pausing, or the gate failed and stopped it).
    /// </summary>
    public async ValueTask<DomainPermit> TryAcquireAsync(string domain)
    {
        DomainPermit permit;
        try
        {
            permit = await gate.TryAcquireAsync(domain, lifetime.Aborting).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !lifetime.IsAborting)
        {
            lifetime.StopForError(ex);
            return default;
        }
        catch (OperationCanceledException)
        {
            return default;
        }

        if (!permit.Acquired)
        {
            return new DomainPermit(false, permit.RetryAfter > MinWait ? permit.RetryAfter : MinWait);
        }

        if (lifetime.IsPausing)
        {
            // Pausing while the gate answered: the request will not start, so its permit goes back at once.
            await ReleaseAsync(domain).ConfigureAwait(false);
            return default;
        }

        return permit;
    }

    /// <summary>
    /// Waits for a permit for a request made outside the domain slots (robots.txt), trying again after each refusal.
    /// Returns <see langword="false"/> when the run pauses first or the gate fails.
    /// </summary>
    public async Task<bool> AcquireWaitingAsync(string domain)
    {
        try
        {
            while (true)
            {
                var permit = await gate.TryAcquireAsync(domain, lifetime.Aborting).ConfigureAwait(false);
                if (permit.Acquired)
                {
                    return true;
                }

                await Task.Delay(permit.RetryAfter > MinWait ? permit.RetryAfter : MinWait, time, lifetime.Pausing).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (lifetime.IsPausing)
        {
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            lifetime.StopForError(ex);
            return false;
        }
    }

    /// <summary>Gives back one permit for <paramref name="domain"/>.</summary>
    public async ValueTask ReleaseAsync(string domain)
    {
        using var bounded = lifetime.IsAborting ? new CancellationTokenSource(AbortedReleaseTimeout, time) : null;
        try
        {
            await gate.ReleaseAsync(domain, bounded?.Token ?? lifetime.Aborting).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lifetime.IsAborting)
        {
            // Stopped at once: the gate lets the permit lapse.
        }
        catch (Exception ex)
        {
            lifetime.StopForError(ex);
        }
    }
}
