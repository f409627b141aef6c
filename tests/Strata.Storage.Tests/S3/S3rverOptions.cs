using Strata.Storage.S3;
using Strata.Testing;

namespace Strata.Storage.Tests.S3;

/// <summary>Store options for the shared <see cref="S3rverProcess"/>.</summary>
internal static class S3rverOptions
{
    /// <summary>Options for a store in the bucket, under a prefix of its own so that tests do not see each other.</summary>
    public static S3ObjectStoreOptions Options(this S3rverProcess server, string? prefix = null) => new()
    {
        ServiceUrl = server.ServiceUrl,
        Bucket = S3rverProcess.BucketName,
        Prefix = prefix ?? $"t-{Guid.NewGuid():N}/",
        AccessKey = S3rverProcess.AccessKey,
        SecretKey = S3rverProcess.SecretKey,
        PartSize = 5 * 1024 * 1024,
        // Small pages so that every listing in the tests pages through several requests.
        ListPageSize = 7,
        MaxRetryAttempts = 2,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        RetryMaxDelay = TimeSpan.FromMilliseconds(50),
    };
}
