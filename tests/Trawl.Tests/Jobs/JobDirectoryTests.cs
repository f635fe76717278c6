using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Trawl.FileSystem;
using Trawl.Jobs;

namespace Trawl.Tests.Jobs;

/// <summary>Job directories that cannot be used: each is refused with a clear problem, and left exactly as it was.</summary>
public sealed class JobDirectoryTests : JobStoreTestBase
{
    /// <param name="problem">The problem expected.</param>
    /// <param name="compareFiles">Whether to hash the directory's files before and after. Not while this process has the
    /// database open: closing any other handle on a SQLite file drops the process's locks on it.</param>
    private async Task<JobDirectoryException> OpenShouldFailAsync(JobDirectoryProblem problem, bool compareFiles = true)
    {
        var before = compareFiles ? Snapshot(JobDir) : null;

        var ex = await Should.ThrowAsync<JobDirectoryException>(() => JobStore.OpenAsync(JobDir, Options(), Ct));

        ex.Problem.ShouldBe(problem);
        ex.Directory.ShouldBe(Path.GetFullPath(JobDir));
        ex.Message.ShouldContain(Path.GetFullPath(JobDir));
        if (before is not null)
        {
            Snapshot(JobDir).ShouldBe(before, "the job directory's files must be left exactly as they were");
        }

        return ex;
    }

    private static SqliteConnection Connect(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    // ---- Damaged files -----------------------------------------------------------------------------------------------

    [Fact]
    public async Task EmptyDatabase_IsCorrupt()
    {
        Directory.CreateDirectory(JobDir);
        await File.WriteAllBytesAsync(DatabasePath, [], Ct);

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.Corrupt);

        ex.Message.ShouldContain("empty");
        ex.Message.ShouldContain("--fresh");
    }

    [Fact]
    public async Task GarbageFile_IsCorrupt()
    {
        Directory.CreateDirectory(JobDir);
        var garbage = new byte[10_000];
        new Random(42).NextBytes(garbage);
        await File.WriteAllBytesAsync(DatabasePath, garbage, Ct);

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.Corrupt);

        ex.Message.ShouldContain("not a SQLite database");
    }

    [Fact]
    public async Task TruncatedDatabase_IsCorrupt()
    {
        await CreateJobAsync(2000);
        var bytes = await File.ReadAllBytesAsync(DatabasePath, Ct);
        await File.WriteAllBytesAsync(DatabasePath, bytes[..(bytes.Length / 2 / 4096 * 4096)], Ct);

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.Corrupt);

        ex.Message.ShouldContain("truncated");
    }

    [Fact]
    public async Task DatabaseCutMidPage_IsCorrupt()
    {
        await CreateJobAsync();
        var bytes = await File.ReadAllBytesAsync(DatabasePath, Ct);
        await File.WriteAllBytesAsync(DatabasePath, bytes[..(bytes.Length - 1000)], Ct);

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.Corrupt);

        ex.Message.ShouldContain("truncated");
    }

    [Fact]
    public async Task DamagedPage_IsFoundByTheIntegrityCheck()
    {
        await CreateJobAsync(2000);
        var bytes = await File.ReadAllBytesAsync(DatabasePath, Ct);
        var page = bytes.Length / 4096 / 2;
        Array.Fill(bytes, (byte)0xA5, page * 4096, 4096);
        await File.WriteAllBytesAsync(DatabasePath, bytes, Ct);

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.Corrupt);

        ex.Message.ShouldContain("damaged job database");
    }

    [Fact]
    public async Task NewerFormat_IsRefused_AndNamesBothVersions()
    {
        await CreateJobAsync();
        using (var connection = Connect(DatabasePath))
        using (var bump = connection.CreateCommand())
        {
            bump.CommandText = "UPDATE meta SET value = '2' WHERE key = 'format_version'";
            bump.ExecuteNonQuery();
        }

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.NewerFormat);

        ex.Message.ShouldContain("newer trawl");
        ex.Message.ShouldContain("job format 2");
        ex.Message.ShouldContain("up to 1");
    }

    [Fact]
    public async Task ForeignSqliteDatabase_IsNotAJob()
    {
        Directory.CreateDirectory(JobDir);
        using (var connection = Connect(DatabasePath))
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');";
            create.ExecuteNonQuery();
        }

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.NotAJob);

        ex.Message.ShouldContain("not written by trawl");
    }

    [Fact]
    public async Task DatabaseThatIsADirectory_IsUnreadable()
    {
        Directory.CreateDirectory(DatabasePath);

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.Unreadable);

        ex.Message.ShouldContain("is a directory");
        Directory.Exists(DatabasePath).ShouldBeTrue();
    }

    [Fact]
    public async Task IntactJob_PastTheFullCheckLimit_StillOpens()
    {
        await CreateJobAsync();

        var store = await OpenAsync(o => o.FullCheckMaxBytes = 0);

        store.IsNew.ShouldBeFalse();
        (await store.Frontier.GetCountsAsync(Ct)).Total.ShouldBe(200);
    }

    [Fact]
    public async Task DamagedPage_PastTheFullCheckLimit_IsReportedAsCorrupt_WhenTheCrawlReachesIt()
    {
        await CreateJobAsync(2000);
        var bytes = await File.ReadAllBytesAsync(DatabasePath, Ct);
        var page = bytes.Length / 4096 / 2;
        Array.Fill(bytes, (byte)0xA5, page * 4096, 4096);
        await File.WriteAllBytesAsync(DatabasePath, bytes, Ct);

        var ex = await Should.ThrowAsync<JobDirectoryException>(async () =>
        {
            await using var store = await JobStore.OpenAsync(JobDir, Options(o => o.FullCheckMaxBytes = 0), Ct);
            while ((await store.Frontier.TryLeaseAsync(100, Ct)).Count > 0)
            {
            }

            await store.GetStatusAsync(cancellationToken: Ct);
            await store.Frontier.ReadItemsAsync(0, 10_000, Ct);
        });

        ex.Problem.ShouldBe(JobDirectoryProblem.Corrupt);
    }

    // ---- Locking -----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task SecondStoreInTheSameProcess_IsRefused_UntilTheFirstCloses()
    {
        var first = await JobStore.OpenAsync(JobDir, Options(), Ct);
        await first.Frontier.AddAsync([Req("https://example.com/")], Ct);

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.Locked, compareFiles: false);

        ex.Message.ShouldContain("in use by another trawl process");
        ex.OwnerProcessId.ShouldBe(Environment.ProcessId);
        ex.Message.ShouldContain($"pid {Environment.ProcessId}");
        (await first.Frontier.GetCountsAsync(Ct)).Pending.ShouldBe(1);

        await first.DisposeAsync();
        var second = await OpenAsync();
        (await second.Frontier.GetCountsAsync(Ct)).Pending.ShouldBe(1);
    }

    [Fact]
    public async Task ALockHeldForAMomentByAChildOfThisProcess_IsWaitedFor_NotCalledInUse()
    {
        await CreateJobAsync();

        // A child holds the lock on a descriptor it shares with this process, as any child does between its fork and its
        // exec; here the descriptor is opened without close-on-exec, so the child holds it until it exits.
        var descriptor = InheritedLock.Take(Path.GetFullPath(JobDir));
        using var child = Process.Start(new ProcessStartInfo("sleep", "0.5"))!;
        InheritedLock.Close(descriptor);

        await using var store = await OpenAsync();
        await child.WaitForExitAsync(Ct);
    }

    [Fact]
    public async Task ALockHeldByAnotherProcessThatIsNotAChild_IsRefusedAtOnce()
    {
        await CreateJobAsync();

        // The holder (flock -o, started by a shell) is a grandchild, not a child: a process of its own, refused at once.
        using var holder = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"flock -x -o '{Path.GetFullPath(JobDir)}' -c 'echo locked; exec sleep 600' & wait"]) { RedirectStandardOutput = true })!;
        try
        {
            (await holder.StandardOutput.ReadLineAsync(Ct)).ShouldBe("locked");

            var ex = await OpenShouldFailAsync(JobDirectoryProblem.Locked, compareFiles: false);
            ex.OwnerProcessId.ShouldNotBeNull().ShouldNotBe(holder.Id);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task LockFileRemovedOrReplaced_ASecondStoreIsStillRefused()
    {
        var first = await JobStore.OpenAsync(JobDir, Options(), Ct);
        await first.Frontier.AddAsync([Req("https://example.com/")], Ct);
        File.Delete(Path.Combine(JobDir, "lock"));

        var ex = await OpenShouldFailAsync(JobDirectoryProblem.Locked, compareFiles: false);
        ex.OwnerProcessId.ShouldBe(Environment.ProcessId);

        await File.WriteAllTextAsync(Path.Combine(JobDir, "lock"), "12345\n", Ct);
        await OpenShouldFailAsync(JobDirectoryProblem.Locked, compareFiles: false);
        (await first.Frontier.GetCountsAsync(Ct)).Pending.ShouldBe(1);

        await first.DisposeAsync();
        await using var second = await OpenAsync();
        (await second.Frontier.GetCountsAsync(Ct)).Pending.ShouldBe(1);
    }

    [Fact]
    public async Task LockHeldByAnotherProcess_IsRefusedWithItsPid_AndFreedWhenItIsKilled()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/flock"))
        {
            return; // Needs flock(1), which takes the same kind of lock as .NET's FileShare.None on Linux.
        }

        await CreateJobAsync();
        // -o: only flock itself holds the lock, not the shell it starts; the shell says when the lock is held.
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["-x", "-o", Path.Combine(JobDir, "lock"), "-c", "echo locked; exec sleep 600"])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            (await holder.StandardOutput.ReadLineAsync(Ct)).ShouldBe("locked");

            var ex = await OpenShouldFailAsync(JobDirectoryProblem.Locked);

            ex.OwnerProcessId.ShouldBe(holder.Id);
            ex.Message.ShouldContain($"pid {holder.Id}");
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync(Ct);
        }

        var store = await OpenAsync();
        store.IsNew.ShouldBeFalse();
    }

    // ---- Moving aside and deleting -----------------------------------------------------------------------------------

    [Fact]
    public async Task MoveAside_MovesTheDirectoryToATimestampedBackup()
    {
        await CreateJobAsync();
        var before = Snapshot(JobDir);

        var moved = await JobStore.MoveAsideAsync(JobDir, Time, Ct);

        moved.ShouldBe(Path.GetFullPath(JobDir) + ".bak-20260101000000");
        Directory.Exists(JobDir).ShouldBeFalse();
        Snapshot(moved!).ShouldBe(before);

        await CreateJobAsync();
        (await JobStore.MoveAsideAsync(JobDir, Time, Ct)).ShouldBe(Path.GetFullPath(JobDir) + ".bak-20260101000000-1");
        (await JobStore.MoveAsideAsync(JobDir, Time, Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task MoveAside_OfACorruptJob_KeepsItsBytes()
    {
        Directory.CreateDirectory(JobDir);
        await File.WriteAllTextAsync(DatabasePath, "not a database", Ct);
        await Should.ThrowAsync<JobDirectoryException>(() => JobStore.OpenAsync(JobDir, Options(), Ct));

        var moved = await JobStore.MoveAsideAsync(JobDir, Time, Ct);

        (await File.ReadAllTextAsync(Path.Combine(moved!, "job.db"), Ct)).ShouldBe("not a database");
        var fresh = await OpenAsync();
        fresh.IsNew.ShouldBeTrue();
    }

    [Fact]
    public async Task MoveAside_OfAJobInUse_IsRefused()
    {
        await OpenAsync();

        var ex = await Should.ThrowAsync<JobDirectoryException>(() => JobStore.MoveAsideAsync(JobDir, Time, Ct));

        ex.Problem.ShouldBe(JobDirectoryProblem.Locked);
        Directory.Exists(JobDir).ShouldBeTrue();
    }

    [Fact]
    public async Task Delete_RemovesTheJob_ButKeepsOtherFiles()
    {
        await CreateJobAsync();
        await File.WriteAllTextAsync(Path.Combine(JobDir, "items.jsonl"), "{}\n", Ct);

        (await JobStore.DeleteAsync(JobDir, Ct)).ShouldBeTrue();

        Directory.EnumerateFiles(JobDir).Select(Path.GetFileName).ShouldBe(["items.jsonl"]);
        (await JobStore.DeleteAsync(JobDir, Ct)).ShouldBeFalse();
    }

    [Fact]
    public async Task Delete_RemovesTheDirectory_WhenNothingElseIsInIt()
    {
        await CreateJobAsync();

        (await JobStore.DeleteAsync(JobDir, Ct)).ShouldBeTrue();

        Directory.Exists(JobDir).ShouldBeFalse();
    }

    [Fact]
    public async Task Delete_OfAJobInUse_IsRefused()
    {
        await OpenAsync();

        var ex = await Should.ThrowAsync<JobDirectoryException>(() => JobStore.DeleteAsync(JobDir, Ct));

        ex.Problem.ShouldBe(JobDirectoryProblem.Locked);
        File.Exists(DatabasePath).ShouldBeTrue();
    }
}

/// <summary>A directory lock on a descriptor a child process inherits (no close-on-exec).</summary>
internal static class InheritedLock
{
    public static int Take(string directory)
    {
        var descriptor = Open(System.Text.Encoding.UTF8.GetBytes(directory + "\0"), 0);
        descriptor.ShouldBeGreaterThanOrEqualTo(0);
        Flock(descriptor, 2 | 4).ShouldBe(0); // LOCK_EX | LOCK_NB
        return descriptor;
    }

    public static void Close(int descriptor) => CloseDescriptor(descriptor).ShouldBe(0);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int descriptor, int operation);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int CloseDescriptor(int descriptor);
}
