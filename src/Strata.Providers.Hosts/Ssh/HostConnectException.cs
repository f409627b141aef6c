namespace Strata.Providers.Hosts.Ssh;

/// <summary>Why a host could not be reached, logged in to, or its agent started.</summary>
public enum HostConnectFailure
{
    /// <summary>The host offered a key that is not recorded, and trusting a new one was not asked for.</summary>
    HostKeyUnknown,

    /// <summary>The host offered another key than the one recorded: refused whatever was asked.</summary>
    HostKeyChanged,

    /// <summary>The identity file could not be read or is not a private key SSH can use.</summary>
    IdentityUnusable,

    /// <summary>The host refused the identity.</summary>
    AuthenticationFailed,

    /// <summary>Nothing answered at the address and port, or it did not speak SSH in time.</summary>
    Unreachable,

    /// <summary>The agent could not be installed or did not say hello.</summary>
    AgentFailed,
}

/// <summary>A host could not be used; <see cref="Exception.Message"/> says why and what to do.</summary>
public sealed class HostConnectException(HostConnectFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public HostConnectFailure Failure { get; } = failure;

    /// <summary>The fingerprint of the key the host offered, for the host-key failures.</summary>
    public string? OfferedFingerprint { get; init; }
}
