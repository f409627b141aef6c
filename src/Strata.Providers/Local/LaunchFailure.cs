namespace Strata.Providers.Local;

/// <summary>A reason the server cannot come up; it ends the launch with <see cref="ServerInstanceState.Failed"/>, never escapes.</summary>
internal sealed class LaunchFailure(string message, int? exitCode = null) : Exception(message)
{
    public int? ExitCode { get; } = exitCode;
}
