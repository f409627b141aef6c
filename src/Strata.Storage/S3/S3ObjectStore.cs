using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Strata.Storage.S3;

/// <summary>
/// Objects in a bucket of any S3-compatible server. Small objects go up in one request, larger ones in parts, so
/// a put never needs to know its length up front nor hold the whole object in memory. Transient failures
/// (connection refused, timeouts, 5xx, throttling) are retried with bounded exponential backoff and jitter.
/// </summary>
internal sealed partial class S3ObjectStore : IObjectStore, IDisposable
{
    internal const string TypeName = "s3";

    private readonly S3ObjectStoreOptions _options;
    private readonly AmazonS3Client _client;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _logger;
    private readonly string _endpoint;

    public S3ObjectStore(S3ObjectStoreOptions options, ILogger<S3ObjectStore>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { Count: > 0 } problems)
        {
            throw new ArgumentException($"invalid s3 object store settings: {string.Join("; ", problems)}", nameof(options));
        }

        _options = options;
        _logger = logger ?? NullLogger<S3ObjectStore>.Instance;
        _endpoint = $"{options.ServiceUrl.TrimEnd('/')}/{options.Bucket}";
        _client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), CreateConfig(options));
        _retry = CreateRetryPipeline(options, timeProvider ?? TimeProvider.System);
    }

    public string Name => TypeName;

    public async Task PutAsync(string key, Stream content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        var fullKey = FullKey(key);
        if (content is MemoryStream { Position: 0 } && content.Length < _options.PartSize)
        {
            // Bytes in memory go up as they are, from their start at each attempt: backups put about a thousand 1 MiB
            // chunks per GiB, and a copy of each was a large-object array the collector reclaimed late (an S3 snapshot
            // of 1 GiB peaked above 300 MiB). The SDK sends a seekable stream from its start, so one read partly
            // already is copied from where it stands instead; and a file is copied, since the SDK would read it twice
            // (once to sign it) and it could change in between.
            await RunAsync($"put '{key}'", token =>
            {
                content.Position = 0;
                return PutSingleAsync(fullKey, content, token);
            }, ct).ConfigureAwait(false);
            return;
        }

        var first = await ReadPartAsync(content, ct).ConfigureAwait(false);
        if (first.Length < _options.PartSize)
        {
            await RunAsync($"put '{key}'", token => PutSingleAsync(fullKey, new MemoryStream(first, writable: false), token), ct)
                .ConfigureAwait(false);
            return;
        }

        await PutMultipartAsync(key, fullKey, first, content, ct).ConfigureAwait(false);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct) => OpenReadAsync(key, checkedByCaller: false, ct);

    public Task<Stream> OpenReadCheckedByCallerAsync(string key, CancellationToken ct) => OpenReadAsync(key, checkedByCaller: true, ct);

    private async Task<Stream> OpenReadAsync(string key, bool checkedByCaller, CancellationToken ct)
    {
        var fullKey = FullKey(key);
        try
        {
            var response = await RunAsync($"get '{key}'", token => _client.GetObjectAsync(_options.Bucket, fullKey, token), ct)
                .ConfigureAwait(false);
            return new S3ResponseStream(response, checkedByCaller);
        }
        catch (AmazonS3Exception ex) when (IsNotFound(ex))
        {
            throw new ObjectNotFoundException(Name, key);
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        var fullKey = FullKey(key);
        try
        {
            await RunAsync($"head '{key}'", token => _client.GetObjectMetadataAsync(_options.Bucket, fullKey, token), ct)
                .ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception ex) when (IsNotFound(ex))
        {
            return false;
        }
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        ObjectKey.ValidatePrefix(prefix);
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _options.Prefix + prefix, MaxKeys = _options.ListPageSize };
        do
        {
            var page = await RunAsync($"list '{prefix}'", token => _client.ListObjectsV2Async(request, token), ct)
                .ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
            {
                yield return new ObjectInfo(
                    item.Key[_options.Prefix.Length..],
                    item.Size ?? 0,
                    new DateTimeOffset(DateTime.SpecifyKind(item.LastModified ?? DateTime.UnixEpoch, DateTimeKind.Utc)));
            }

            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        var fullKey = FullKey(key);
        return RunAsync($"delete '{key}'", token => _client.DeleteObjectAsync(_options.Bucket, fullKey, token), ct);
    }

    public void Dispose() => _client.Dispose();

    // The body stays open: it is the caller's, or an array in memory that holds nothing to release.
    private Task PutSingleAsync(string fullKey, Stream body, CancellationToken ct) =>
        _client.PutObjectAsync(
            new PutObjectRequest
            {
                BucketName = _options.Bucket,
                Key = fullKey,
                InputStream = body,
                AutoCloseStream = false,
                UseChunkEncoding = false,
            },
            ct);

    private async Task PutMultipartAsync(string key, string fullKey, byte[] first, Stream content, CancellationToken ct)
    {
        var start = await RunAsync(
            $"start upload of '{key}'",
            token => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = fullKey }, token),
            ct).ConfigureAwait(false);
        try
        {
            var parts = new List<PartETag>();
            for (var part = first; part.Length > 0; part = await ReadPartAsync(content, ct).ConfigureAwait(false))
            {
                var number = parts.Count + 1;
                var data = part;
                var uploaded = await RunAsync($"upload part {number} of '{key}'", token => UploadPartAsync(fullKey, start.UploadId, number, data, token), ct)
                    .ConfigureAwait(false);
                parts.Add(new PartETag(number, uploaded.ETag));
            }

            var complete = new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = fullKey, UploadId = start.UploadId, PartETags = parts };
            await RunAsync($"complete upload of '{key}'", token => _client.CompleteMultipartUploadAsync(complete, token), ct).ConfigureAwait(false);
        }
        catch
        {
            await AbortQuietlyAsync(key, fullKey, start.UploadId).ConfigureAwait(false);
            throw;
        }
    }

    private Task<UploadPartResponse> UploadPartAsync(string fullKey, string uploadId, int number, byte[] data, CancellationToken ct) =>
        _client.UploadPartAsync(
            new UploadPartRequest
            {
                BucketName = _options.Bucket,
                Key = fullKey,
                UploadId = uploadId,
                PartNumber = number,
                InputStream = new MemoryStream(data, writable: false),
                PartSize = data.Length,
                UseChunkEncoding = false,
            },
            ct);

    private async Task AbortQuietlyAsync(string key, string fullKey, string uploadId)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(_options.Bucket, fullKey, uploadId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
        {
            // The upload already failed and that failure is what the caller sees; an unfinished upload only costs
            // space until the bucket's lifecycle rules clean it up.
            LogAbortFailed(key, ex.Message);
        }
    }

    private async Task<byte[]> ReadPartAsync(Stream content, CancellationToken ct)
    {
        // A stream that knows its length gets an array of that length: a backup puts about a thousand 1 MiB chunks
        // per GiB, and a part-sized (16 MiB) array for each made a snapshot allocate and zero 16 GiB.
        var buffer = new byte[content.CanSeek ? Math.Clamp(content.Length - content.Position, 0, _options.PartSize) : _options.PartSize];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer[..filled];
            }

            filled += read;
        }

        return buffer;
    }

    private async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> action, CancellationToken ct)
    {
        var context = ResilienceContextPool.Shared.Get(operation, ct);
        try
        {
            var outcome = await _retry.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        return Outcome.FromResult(await state(ctx.CancellationToken).ConfigureAwait(false));
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<T>(ex);
                    }
                },
                context,
                action).ConfigureAwait(false);
            if (outcome.Exception is { } error)
            {
                if (IsTransient(error, ct))
                {
                    throw new ObjectStoreUnavailableException(Name, _endpoint, operation, _options.MaxRetryAttempts + 1, error);
                }

                if (error is AmazonServiceException { StatusCode: HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized } denied)
                {
                    throw new ObjectStoreAccessDeniedException(Name, _endpoint, operation, denied.ErrorCode ?? denied.StatusCode.ToString(), error);
                }

                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }

            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task RunAsync(string operation, Func<CancellationToken, Task> action, CancellationToken ct) =>
        RunAsync(operation, async token =>
        {
            await action(token).ConfigureAwait(false);
            return true;
        }, ct);

    private ResiliencePipeline CreateRetryPipeline(S3ObjectStoreOptions options, TimeProvider timeProvider)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && IsTransient(ex, args.Context.CancellationToken)),
                OnRetry = args =>
                {
                    var operation = args.Context.OperationKey ?? "request";
                    var error = args.Outcome.Exception?.Message ?? "";
                    LogRetrying(operation, _endpoint, args.AttemptNumber + 1, args.RetryDelay, error);
                    return ObjectStoreRetries.NotifyAsync(
                        new ObjectStoreRetry(Name, _endpoint, operation, args.AttemptNumber + 1, options.MaxRetryAttempts + 1, args.RetryDelay, error));
                },
            });
        }

        return builder.Build();
    }

    private static bool IsTransient(Exception ex, CancellationToken ct) => ex switch
    {
        OperationCanceledException => !ct.IsCancellationRequested,
        AmazonServiceException service when service.StatusCode is HttpStatusCode.TooManyRequests || (int)service.StatusCode >= 500 => true,
        AmazonServiceException service when service.InnerException is { } inner => IsTransient(inner, ct),
        AmazonClientException { InnerException: { } inner } => IsTransient(inner, ct),
        HttpRequestException or SocketException or IOException or TimeoutException => true,
        _ => false,
    };

    private static bool IsNotFound(AmazonS3Exception ex) =>
        ex.StatusCode == HttpStatusCode.NotFound || ex.ErrorCode is "NoSuchKey" or "NotFound";

    private string FullKey(string key)
    {
        ObjectKey.Validate(key);
        return _options.Prefix + key;
    }

    private static AmazonS3Config CreateConfig(S3ObjectStoreOptions options) => new()
    {
        ServiceURL = options.ServiceUrl,
        AuthenticationRegion = options.Region,
        ForcePathStyle = options.ForcePathStyle,
        // Retries are ours (with jitter and a reported outcome), not the SDK's, so they are counted once.
        MaxErrorRetry = 0,
        Timeout = options.RequestTimeout,
        // Many S3-compatible servers reject the trailing checksums that newer SDKs send by default.
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "s3 {Operation} at {Endpoint} failed (attempt {Attempt}); retrying in {Delay}: {Error}")]
    private partial void LogRetrying(string operation, string endpoint, int attempt, TimeSpan delay, string error);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "could not abort the unfinished upload of '{Key}': {Error}")]
    private partial void LogAbortFailed(string key, string error);
}
