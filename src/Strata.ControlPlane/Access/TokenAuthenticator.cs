namespace Strata.ControlPlane.Access;

/// <summary>The CLI's own secret, read from <c>$STRATA_HOME/token</c> (see <see cref="Hosting.ServerToken"/>).</summary>
public sealed record CliCredential(string Secret);

/// <summary>
/// Finds the token a request presents. The CLI's token is registered as the admin token <c>cli</c> before the first
/// look-up, so a home created before tokens were kept in the state store keeps working with its token file.
/// </summary>
internal sealed class TokenAuthenticator(IAccessStore store, CliCredential cli, TimeProvider time)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _registered;

    /// <summary>The token whose secret is <paramref name="secret"/>, or why none is accepted.</summary>
    public async Task<(ApiToken? Token, string? Refusal)> AuthenticateAsync(string? secret, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return (null, "send a token as 'Authorization: Bearer …' (the CLI's own is in $STRATA_HOME/token; `strata token create` makes others)");
        }

        await EnsureCliTokenAsync(ct).ConfigureAwait(false);
        var token = await store.FindByHashAsync(TokenSecrets.Hash(secret), ct).ConfigureAwait(false);
        return token switch
        {
            null => (null, "the token is not known here (revoked, or from another Strata home)"),
            _ when token.IsExpired(time.GetUtcNow()) => (null, $"the token '{token.Name}' expired at {token.ExpiresAt:u}"),
            _ => (token, null),
        };
    }

    public async Task EnsureCliTokenAsync(CancellationToken ct)
    {
        if (_registered)
        {
            return;
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_registered)
            {
                var hash = TokenSecrets.Hash(cli.Secret);
                var existing = (await store.ListTokensAsync(ct).ConfigureAwait(false)).FirstOrDefault(t => t.Name == ApiToken.CliTokenName);
                if (existing is null || existing.Hash != hash || existing.Role != TokenRole.Admin || existing.ExpiresAt is not null)
                {
                    await store.PutTokenAsync(new ApiToken { Name = ApiToken.CliTokenName, Role = TokenRole.Admin, Hash = hash, CreatedAt = time.GetUtcNow() }, ct).ConfigureAwait(false);
                }

                _registered = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
