using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Trawl.FileSystem;

/// <summary>
/// An exclusive <c>flock(2)</c> on a directory itself, on Linux, macOS and FreeBSD. A lock file can be removed and
/// created again, and a lock on the old file then keeps nobody out; the directory cannot be replaced without moving its
/// contents, so a lock on it holds for as long as the directory does. .NET cannot open a directory as a file, hence the
/// two calls into the C library. The operating system drops the lock when the process exits, even on <c>kill -9</c>.
/// </summary>
internal static class DirectoryLock
{
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;

    /// <summary>Whether directories can be locked on this system.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();

    // O_RDONLY is 0 everywhere; O_CLOEXEC keeps the lock from leaking into child processes, which would hold it after
    // this process died. Its value differs by system.
    private static int OpenFlags =>
        OperatingSystem.IsLinux() ? 0x80000
        : OperatingSystem.IsMacOS() ? 0x1000000
        : 0x100000;

    /// <summary>
    /// Takes the lock without waiting. Returns the handle that holds it (dispose it to let go), or
    /// <see langword="null"/> with the <c>errno</c> of the failure: <see cref="FileErrors.WouldBlock"/> when another
    /// handle holds the lock.
    /// </summary>
    public static SafeFileHandle? TryAcquire(string directory, out int error)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("Directory locks need Linux, macOS or FreeBSD.");
        }

        var descriptor = Native.Open(Encoding.UTF8.GetBytes(directory + "\0"), OpenFlags);
        if (descriptor < 0)
        {
            error = Marshal.GetLastPInvokeError();
            return null;
        }

        var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        if (Native.Flock(descriptor, LockExclusive | LockNonBlocking) != 0)
        {
            error = Marshal.GetLastPInvokeError();
            handle.Dispose();
            return null;
        }

        error = 0;
        return handle;
    }

    /// <summary>The system's description of an <c>errno</c>.</summary>
    public static string Describe(int error) => Marshal.GetPInvokeErrorMessage(error);

    private static class Native
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        public static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
        public static extern int Flock(int descriptor, int operation);
    }
}
