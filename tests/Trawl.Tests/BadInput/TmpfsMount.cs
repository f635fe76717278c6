using System.Diagnostics;

namespace Trawl.Tests.BadInput;

/// <summary>
/// A small tmpfs mounted on a fresh directory, to give tests a real read-only or full file system. Mounting needs root
/// on Linux (CI runs as root); where it is not possible the test fails and says why, rather than passing unchecked.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (as mount(8) takes it, for example <c>64k</c>), read-only if asked.</summary>
    public static TmpfsMount Mount(string size, bool readOnly = false)
    {
        OperatingSystem.IsLinux().ShouldBeTrue("read-only and full-disk tests mount a tmpfs, which needs Linux");
        Environment.UserName.ShouldBe("root", "read-only and full-disk tests mount a tmpfs, which needs root");

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "trawl-tests", "tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"{(readOnly ? "ro," : "")}size={size}", "tmpfs", path).ShouldBe(0, $"mount -t tmpfs {path}");

        return new TmpfsMount(path);
    }

    /// <summary>Remounts with other options, keeping the files: <c>ro</c>, <c>rw</c>, <c>size=1m</c>.</summary>
    public void Remount(string options) =>
        Run("mount", "-o", "remount," + options, Path).ShouldBe(0, $"remount,{options} {Path}");

    /// <summary>Fills the file system with a filler file, leaving <paramref name="leaveFree"/> bytes free.</summary>
    public string Fill(long leaveFree = 0)
    {
        var filler = File("filler");
        using (var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            var block = new byte[4096];
            try
            {
                while (true)
                {
                    stream.Write(block);
                }
            }
            catch (IOException)
            {
                // Full.
            }

            stream.SetLength(Math.Max(0, stream.Length - (stream.Length % 4096) - leaveFree));
        }

        return filler;
    }

    public void Dispose()
    {
        if (Run("umount", Path) != 0)
        {
            Run("umount", "-l", Path);
        }

        try
        {
            Directory.Delete(Path);
        }
        catch (IOException)
        {
        }
    }

    private static int Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
