using Renci.SshNet.Common;

namespace Strata.Providers.Hosts.Ssh;

/// <summary>
/// Decides, during one SSH key exchange, whether to trust the key the host offers: a recorded key is trusted; a new
/// one only when asked for (and recorded by <see cref="RecordIfNew"/> once the login has succeeded); a changed one never.
/// </summary>
internal sealed class HostKeyCheck(KnownHosts knownHosts, string name, bool acceptNew)
{
    private byte[]? _newKey;

    public HostKeyVerdict? Verdict { get; private set; }

    public string? KeyType { get; private set; }

    public string? Offered { get; private set; }

    public string? Recorded { get; private set; }

    public void OnHostKeyReceived(object? sender, HostKeyEventArgs e)
    {
        KeyType = e.HostKeyName;
        Offered = KnownHosts.Fingerprint(e.HostKey);
        Verdict = knownHosts.Check(name, e.HostKeyName, e.HostKey, out var recorded);
        Recorded = recorded;
        e.CanTrust = Verdict == HostKeyVerdict.Known || (Verdict == HostKeyVerdict.Unknown && acceptNew);
        _newKey = Verdict == HostKeyVerdict.Unknown && acceptNew ? e.HostKey : null;
    }

    /// <summary>True when the key was refused; the exception then says which key and why.</summary>
    public bool Refused(out HostConnectException? refusal)
    {
        refusal = Verdict switch
        {
            HostKeyVerdict.Unknown when !acceptNew => new HostConnectException(HostConnectFailure.HostKeyUnknown,
                $"the host key of {name} is not known: it offers {KeyType} {Offered}. Compare it with `ssh-keygen -lf` of the host's key "
                + "(in /etc/ssh/) and run the command again with --accept-new-host-key to trust it")
            { OfferedFingerprint = Offered },
            HostKeyVerdict.Changed => new HostConnectException(HostConnectFailure.HostKeyChanged,
                $"the host key of {name} has CHANGED: it offers {KeyType} {Offered}, but {Recorded} is recorded in {knownHosts.Path}. "
                + "Someone may be intercepting the connection; if the host was reinstalled, remove it (`strata host remove`) and add it again")
            { OfferedFingerprint = Offered },
            _ => null,
        };
        return refusal is not null;
    }

    public void RecordIfNew()
    {
        if (_newKey is { } key)
        {
            knownHosts.Add(name, KeyType!, key);
            _newKey = null;
        }
    }
}
