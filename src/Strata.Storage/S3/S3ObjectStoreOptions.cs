namespace Strata.Storage.S3;

/// <summary>Options of the <c>s3</c> object store: any S3-compatible endpoint.</summary>
public sealed class S3ObjectStoreOptions
{
    /// <summary>The endpoint, e.g. <c>http://127.0.0.1:4568</c>. Required.</summary>
    public string ServiceUrl { get; set; } = "";

    /// <summary>The region used to sign requests.</summary>
    /// <value>The default is <c>us-east-1</c>.</value>
    public string Region { get; set; } = "us-east-1";

    /// <summary>The bucket that holds the objects. Required; it must exist.</summary>
    public string Bucket { get; set; } = "";

    /// <summary>A key prefix inside the bucket, so that several stores can share one bucket.</summary>
    /// <value>The default is empty: keys are used as they are.</value>
    public string Prefix { get; set; } = "";

    /// <summary>The access key id. Required.</summary>
    public string AccessKey { get; set; } = "";

    /// <summary>The secret access key. Required.</summary>
    public string SecretKey { get; set; } = "";

    /// <summary>Whether the bucket goes in the path (<c>http://host/bucket/key</c>) rather than the host name.</summary>
    /// <value>The default is <see langword="true"/>, which most self-hosted S3-compatible servers need.</value>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Objects larger than this are uploaded in parts of this size, holding one part in memory at a time.</summary>
    /// <value>The default is 16 MiB. S3 requires at least 5 MiB.</value>
    public int PartSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>How many keys one listing request asks for; a listing pages through as many requests as it needs.</summary>
    /// <value>The default is 1000, the most S3 returns per request.</value>
    public int ListPageSize { get; set; } = 1000;

    /// <summary>How many times a request that failed for a transient reason is retried.</summary>
    /// <value>The default is 5.</value>
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>The delay before the first retry; it doubles with each retry, with jitter.</summary>
    /// <value>The default is 200 milliseconds.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two attempts.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one request may take before it counts as failed (and is retried).</summary>
    /// <value>The default is 100 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Every problem with these options at once; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            problems.Add($"'endpoint' must be an http or https URL (got '{ServiceUrl}')");
        }

        if (string.IsNullOrWhiteSpace(Bucket))
        {
            problems.Add("'bucket' is required");
        }

        if (string.IsNullOrWhiteSpace(AccessKey) || string.IsNullOrWhiteSpace(SecretKey))
        {
            problems.Add("'accessKey' and 'secretKey' are required");
        }

        if (Prefix.Length > 0)
        {
            try
            {
                ObjectKey.ValidatePrefix(Prefix);
            }
            catch (ArgumentException ex)
            {
                problems.Add($"'prefix': {ex.Message}");
            }
        }

        if (PartSize < 5 * 1024 * 1024)
        {
            problems.Add($"'partSize' must be at least 5 MiB (got {PartSize})");
        }

        if (ListPageSize is < 1 or > 1000)
        {
            problems.Add($"'listPageSize' must be between 1 and 1000 (got {ListPageSize})");
        }

        if (MaxRetryAttempts < 0)
        {
            problems.Add($"'maxRetryAttempts' must not be negative (got {MaxRetryAttempts})");
        }

        return problems;
    }
}
