using Renci.SshNet;
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
        SftpClient? sftp = null;
        try
        {
            sftp = await connector.ConnectSftpAsync(login, ct).ConfigureAwait(false);
            if (input is not null)
            {
                await using var file = File.OpenRead(request.Input!.LocalPath);
                await sftp.UploadFileAsync(file, input, false, null, ct).ConfigureAwait(false);
            }

            var environment = new Dictionary<string, string>(request.Environment, StringComparer.Ordinal);
            AddPath(environment, request.Input, input);
            AddPath(environment, request.Output, output);
            var result = await AskAsync(request, environment, ct).ConfigureAwait(false);
            if (output is not null && result.Succeeded && await sftp.ExistsAsync(output).ConfigureAwait(false))
            {
                // A command that wrote nothing leaves nothing here, as it would on this machine.
                await using var file = File.Create(request.Output!.LocalPath);
                await sftp.DownloadFileAsync(output, file, ct).ConfigureAwait(false);
            }

            return result;
        }
        catch (Exception ex) when (ex is SshException or IOException or HostConnectException or UnauthorizedAccessException)
        {
            throw new ProviderException($"the command of server {request.ServerId} could not run on host {host}: {ex.Message}", ex);
        }
        finally
        {
            foreach (var path in new[] { input, output }.OfType<string>())
            {
                await SftpFiles.DeleteQuietlyAsync(sftp, path).ConfigureAwait(false);
            }

            sftp?.Dispose();
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
        try
        {
            var reply = await requests.AskAsync<AgentCommandReply>(id => new AgentRunCommand
            {
                Id = id, ServerId = request.ServerId, Command = request.Command, Environment = environment, TimeoutMs = (long)request.Timeout.TotalMilliseconds,
            }, answer.Token).ConfigureAwait(false);
            return new ShellResult(reply.ExitCode, reply.TimedOut, reply.Output, reply.Text);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ProviderException($"host {host} did not answer about the command of server {request.ServerId} within {(request.Timeout + s_answerGrace).TotalSeconds:0}s");
        }
    }
}
