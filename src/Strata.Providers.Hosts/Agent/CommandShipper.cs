using Renci.SshNet.Common;
using Strata.Api.Contracts.Agent;
using Strata.Providers.Hosts.Ssh;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// Runs a command on a server of one host through its agent. A file handed to the command is uploaded over SFTP into
/// the agent's upload folder first, and a file it writes there is downloaded once it succeeded; both are deleted on
/// the host whatever happened, so nothing of a backup stays behind there.
/// </summary>
internal sealed class CommandShipper(string host, AgentRequests requests, SshConnector connector, SshLogin login, string uploadFolder)
{
    // The agent stops the command at its timeout; past this much more, the agent itself is not answering.
    private static readonly TimeSpan s_answerGrace = TimeSpan.FromSeconds(15);

    /// <exception cref="ProviderException">The host cannot be reached, does not know the server, or a file could not be moved.</exception>
    public async Task<ShellResult> RunAsync(ShellRequest request, CancellationToken ct)
    {
        if (request.Input is null && request.Output is null)
        {
            return await AskAsync(request, request.Environment, ct).ConfigureAwait(false);
        }

        var id = Guid.NewGuid().ToString("N");
        var input = request.Input is null ? null : $"{uploadFolder}/command-{id}.in";
        var output = request.Output is null ? null : $"{uploadFolder}/command-{id}.out";
        try
        {
            if (input is not null)
            {
                await UploadAsync(request.Input!.LocalPath, input, ct).ConfigureAwait(false);
            }

            var environment = new Dictionary<string, string>(request.Environment, StringComparer.Ordinal);
            AddPath(environment, request.Input, input);
            AddPath(environment, request.Output, output);
            var result = await AskAsync(request, environment, ct).ConfigureAwait(false);

            // A fresh connection: the command may have run for long, and one kept idle meanwhile may have been dropped.
            await CollectAsync(input, result.Succeeded ? output : null, output, request.Output?.LocalPath, ct).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex) when (ex is SshException or IOException or HostConnectException or UnauthorizedAccessException)
        {
            throw new ProviderException($"the command of server {request.ServerId} could not run on host {host}: {ex.Message}", ex);
        }
        catch
        {
            // What the host still holds of a failed run goes; uploads left over are also deleted when the host reconnects.
            await DeleteQuietlyAsync([input, output]).ConfigureAwait(false);
            throw;
        }
    }

    private async Task UploadAsync(string localPath, string remote, CancellationToken ct)
    {
        using var sftp = await connector.ConnectSftpAsync(login, ct).ConfigureAwait(false);
        try
        {
            await using var file = File.OpenRead(localPath);
            await sftp.UploadFileAsync(file, remote, false, null, ct).ConfigureAwait(false);
        }
        catch
        {
            await SftpFiles.DeleteQuietlyAsync(sftp, remote).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Downloads <paramref name="download"/> (when the command wrote it) to <paramref name="localPath"/>, then deletes the run's files on the host.</summary>
    private async Task CollectAsync(string? input, string? download, string? output, string? localPath, CancellationToken ct)
    {
        if (input is null && output is null)
        {
            return;
        }

        using var sftp = await connector.ConnectSftpAsync(login, ct).ConfigureAwait(false);
        try
        {
            if (download is not null && await sftp.ExistsAsync(download, ct).ConfigureAwait(false))
            {
                // A command that wrote nothing leaves nothing here, as it would on this machine.
                await using var file = File.Create(localPath!);
                await sftp.DownloadFileAsync(download, file, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var path in new[] { input, output }.OfType<string>())
            {
                await SftpFiles.DeleteQuietlyAsync(sftp, path).ConfigureAwait(false);
            }
        }
    }

    private async Task DeleteQuietlyAsync(string?[] paths)
    {
        if (paths.All(p => p is null))
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var sftp = await connector.ConnectSftpAsync(login, timeout.Token).ConfigureAwait(false);
            foreach (var path in paths.OfType<string>())
            {
                await SftpFiles.DeleteQuietlyAsync(sftp, path).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SshException or IOException or HostConnectException or OperationCanceledException or UnauthorizedAccessException)
        {
            // The host is out of reach: its uploads are deleted when it reconnects.
        }
    }

    private static void AddPath(Dictionary<string, string> environment, ShellFile? file, string? path)
    {
        if (file is not null)
        {
            environment[file.Variable] = path!;
        }
    }

    private async Task<ShellResult> AskAsync(ShellRequest request, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        using var answer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        answer.CancelAfter(request.Timeout + s_answerGrace);
        long? sent = null;
        try
        {
            var reply = await requests.AskAsync<AgentCommandReply>(id =>
            {
                sent = id;
                return new AgentRunCommand
                {
                    Id = id, ServerId = request.ServerId, Command = request.Command, Environment = environment, TimeoutMs = (long)request.Timeout.TotalMilliseconds,
                };
            }, answer.Token).ConfigureAwait(false);
            return new ShellResult(reply.ExitCode, reply.TimedOut, reply.Output, reply.Text);
        }
        catch (OperationCanceledException)
        {
            // Given up here: the command must not run on there for the rest of its timeout.
            if (sent is { } command)
            {
                _ = CancelAsync(command);
            }

            if (ct.IsCancellationRequested)
            {
                throw;
            }

            throw new ProviderException($"host {host} did not answer about the command of server {request.ServerId} within {(request.Timeout + s_answerGrace).TotalSeconds:0}s");
        }
    }

    private async Task CancelAsync(long command)
    {
        try
        {
            using var timeout = new CancellationTokenSource(s_answerGrace);
            await requests.AskAsync<AgentDone>(id => new AgentCancelCommand { Id = id, Command = command }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProviderException or OperationCanceledException)
        {
            // The host is out of reach: the agent stops the command at its own timeout.
        }
    }
}
