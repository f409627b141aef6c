namespace Strata.Providers;

/// <summary>The observed state of one server.</summary>
public sealed record ServerInstance
{
    /// <summary>The physical name (the launch's idempotency key).</summary>
    public required string Id { get; init; }

    /// <summary>The logical name.</summary>
    public required string Name { get; init; }

    public required string Deployment { get; init; }

    public required string Tier { get; init; }

    public required string Zone { get; init; }

    /// <summary>The server's own address, e.g. <c>127.1.0.7</c>.</summary>
    public required string Address { get; init; }

    /// <summary>The image it was launched from, <c>sha256:…</c>.</summary>
    public required string ImageId { get; init; }

    public required ServerInstanceState State { get; init; }

    /// <summary>The process id of the run command (also its process group and session id).</summary>
    public int? ProcessId { get; init; }

    /// <summary>
    /// The start time of <see cref="ProcessId"/> in clock ticks since boot (field 22 of <c>/proc/&lt;pid&gt;/stat</c>),
    /// which tells the process apart from a later one that reuses the pid.
    /// </summary>
    public long? ProcessStartTime { get; init; }

    public required DateTimeOffset LaunchedAt { get; init; }

    /// <summary>The exit code of the run command or configure hook, once known.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Why the server failed or stopped, e.g. <c>configure hook exited with code 3: no config</c>.</summary>
    public string? Message { get; init; }

    /// <summary>The server's root folder, where its commands run.</summary>
    public required string RootPath { get; init; }

    /// <summary>The log file its standard output and error are appended to.</summary>
    public required string LogPath { get; init; }

    /// <summary>The first-boot configuration file.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The attached volumes.</summary>
    public IReadOnlyList<VolumeAttachment> Volumes { get; init; } = [];

    /// <summary>The TCP ports the server listens on at its address, as its launch asked.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];

    /// <summary>What the server reserves on its host, as its launch asked (none for a server recorded before resources existed).</summary>
    public ServerResources Resources { get; init; } = ServerResources.None;
}

/// <summary>The life cycle of a server.</summary>
public enum ServerInstanceState
{
    /// <summary>The launch is recorded and in progress (or was interrupted: launch again to finish it).</summary>
    Pending,

    /// <summary>The configure hook is running (or was interrupted: launch again to finish it).</summary>
    Configuring,

    /// <summary>The run command's process is alive.</summary>
    Running,

    /// <summary>The process has died after it started; the control plane decides whether to replace it.</summary>
    Stopped,

    /// <summary>The server was terminated.</summary>
    Terminated,

    /// <summary>The launch failed; <see cref="ServerInstance.Message"/> says why.</summary>
    Failed,
}
