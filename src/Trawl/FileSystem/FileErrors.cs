using System.Net.Sockets;

namespace Trawl.FileSystem;

/// <summary>
/// What an operating-system error from a file or socket call means, for the errors that need their own message: a full
/// disk, a file another process holds locked, and a process out of file descriptors. On Unix .NET puts the raw <c>errno</c> in an
/// <see cref="IOException"/>'s <see cref="Exception.HResult"/>; on Windows it is the Win32 error as an HRESULT.
/// </summary>
internal static class FileErrors
{
    /// <summary><c>EWOULDBLOCK</c>: Linux's value (11) and the BSDs' and macOS's (35).</summary>
    public static int WouldBlock => OperatingSystem.IsLinux() ? 11 : 35;

    private const int TooManyOpenFiles = 24; // EMFILE: this process's limit (ulimit -n)
    private const int TooManyOpenFilesInSystem = 23; // ENFILE: the whole system's
    private const int WindowsTooManyOpenFiles = unchecked((int)0x80070004); // ERROR_TOO_MANY_OPEN_FILES
    private const int WindowsSharingViolation = unchecked((int)0x80070020); // ERROR_SHARING_VIOLATION
    private const int WindowsLockViolation = unchecked((int)0x80070021); // ERROR_LOCK_VIOLATION

    /// <summary>What the user is told when the process has no file descriptor left.</summary>
    public const string OutOfFileDescriptorsAdvice =
        "the process is out of file descriptors (too many open files): raise the limit (ulimit -n) or lower --concurrency";

    /// <summary>Whether a file system error is ENOSPC or EDQUOT: no room left.</summary>
    public static bool IsDiskFull(Exception ex) =>
        ex is IOException { HResult: 28 or 122 or unchecked((int)0x80070070) } // ENOSPC, EDQUOT, ERROR_DISK_FULL
        || ex.Message.Contains("No space left on device", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="exception"/>, or one inside it, says the process (or system) ran out of file descriptors.</summary>
    public static bool IsOutOfFileDescriptors(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets }
                || (current is IOException && IsOutOfFileDescriptors(current.HResult)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether an errno (or Windows HRESULT) says the process (or system) ran out of file descriptors.</summary>
    public static bool IsOutOfFileDescriptors(int error) =>
        OperatingSystem.IsWindows() ? error == WindowsTooManyOpenFiles : error is TooManyOpenFiles or TooManyOpenFilesInSystem;

    /// <summary>Whether an open or lock failed because another handle holds the file locked.</summary>
    public static bool IsHeldByAnother(IOException exception) =>
        OperatingSystem.IsWindows()
            ? exception.HResult is WindowsSharingViolation or WindowsLockViolation
            : exception.HResult == WouldBlock;
}
