using Trawl.Jobs;

namespace Trawl.Tests.Hostile;

/// <summary>
/// Running out of file descriptors is reported as exactly that, never as a job held by another process. (Downloads
/// that fail for want of descriptors have their own kind: see <c>DownloadErrorsTests</c>. A crawl actually run out of
/// descriptors is no stable test: the .NET runtime itself needs them, for the GC's reading of /proc/meminfo among
/// others, and aborts with "Out of memory." in about one run of three.)
/// </summary>
public sealed class FileDescriptorTests
{
    [Theory]
    [InlineData(24)] // EMFILE
    [InlineData(23)] // ENFILE
    public void JobLock_OutOfFileDescriptors_IsSaidSo_NotBlamedOnAnotherProcess(int errno)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var ex = JobDirectoryLock.Failure("/jobs/docs", errno, "cannot lock the directory", null);

        ex.Problem.ShouldBe(JobDirectoryProblem.OutOfFileDescriptors);
        ex.Message.ShouldContain("out of file descriptors");
        ex.Message.ShouldContain("ulimit -n");
        ex.Message.ShouldNotContain("in use by another");
    }

    [Fact]
    public void JobLock_HeldElsewhere_IsStillSaidToBeInUse()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        JobDirectoryLock.Failure("/jobs/docs", 11, "cannot lock the directory", null).Problem.ShouldBe(JobDirectoryProblem.Locked); // EWOULDBLOCK
        JobDirectoryLock.Failure("/jobs/docs", 13, "cannot lock the directory", null).Problem.ShouldBe(JobDirectoryProblem.Unwritable); // EACCES
    }
}
