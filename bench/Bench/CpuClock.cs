using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LlmQueue.Bench;

/// <summary>
/// CPU time, beside wall-clock time: on a shared machine a thread waits for a core for a share of the wall
/// time that depends on the other processes, while the CPU time it was given depends mostly on the work.
/// The calling thread's time comes from clock_gettime(CLOCK_THREAD_CPUTIME_ID) (Linux; NaN elsewhere); the
/// process's (all its threads, for work spread across them) from <see cref="Process.TotalProcessorTime"/>.
/// </summary>
internal static partial class CpuClock
{
    private const int ThreadCpuTimeId = 3;

    /// <summary>Seconds of CPU the calling thread has used, or NaN where the clock is not available.</summary>
    public static double ThreadSeconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }

        return ClockGetTime(ThreadCpuTimeId, out var time) == 0 ? time.Seconds + (time.Nanoseconds / 1e9) : double.NaN;
    }

    /// <summary>Seconds of CPU all threads of this process have used.</summary>
    public static double ProcessSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
