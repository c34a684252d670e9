using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace NetDsl.Experiments.Sweeps;

/// <summary>
/// Turns the signals that end a job early into a request to stop after the current training step, so that the job writes a
/// checkpoint and exits instead of dying: SIGTERM (<c>scancel</c>, preemption, a time limit's end), SIGINT (Ctrl+C) and
/// SIGUSR1 (Slurm's <c>--signal=B:USR1@s</c> warning before the time limit; the job then also requeues itself). A second
/// SIGINT ends the process at once, as Ctrl+C always does.
/// </summary>
public sealed class StopSignal : IDisposable
{
    /// <summary>SIGUSR1's number on Linux (10) and macOS (30); .NET takes raw numbers for signals it does not name.</summary>
    static readonly PosixSignal Usr1 = (PosixSignal)(OperatingSystem.IsMacOS() ? 30 : 10);

    readonly List<PosixSignalRegistration> registrations = new();
    readonly Action<string>? announce;
    int requested;

    /// <summary>Starts listening.</summary>
    /// <param name="announce">Told once, on the first signal (for a line on stderr).</param>
    public StopSignal(Action<string>? announce = null)
    {
        this.announce = announce;
        if (OperatingSystem.IsWindows())
        {
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
            return;
        }
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, Usr1 })
            registrations.Add(PosixSignalRegistration.Create(signal, Handle));
    }

    /// <summary>Whether a stop was requested.</summary>
    public bool Requested => Volatile.Read(ref requested) != 0;

    /// <summary>The first signal's name (<c>SIGTERM</c>), or null.</summary>
    public string? Signal { get; private set; }

    /// <summary>True when the stop came from Slurm's time-limit warning (SIGUSR1): the job should requeue itself.</summary>
    public bool TimeLimit => Signal == "SIGUSR1";

    /// <summary>Asks for a stop as a signal would (<paramref name="reason"/> names it).</summary>
    public void Request(string reason)
    {
        if (Interlocked.Exchange(ref requested, 1) != 0) return;
        Signal = reason;
        announce?.Invoke(reason);
    }

    void Handle(PosixSignalContext context)
    {
        // A second Ctrl+C quits at once (the default action); every other signal only asks for the stop.
        if (Requested && context.Signal == PosixSignal.SIGINT) return;
        context.Cancel = true;
        Request(context.Signal switch
        {
            PosixSignal.SIGTERM => "SIGTERM",
            PosixSignal.SIGINT => "SIGINT",
            _ => "SIGUSR1",
        });
    }

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        registrations.Clear();
    }
}
