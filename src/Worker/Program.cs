using LlmQueue.Serving.Hosting;
using Microsoft.Extensions.Hosting;

try
{
    await WorkerHost.CreateBuilder(args).Build().RunAsync().ConfigureAwait(false);
}
catch (Exception ex)
{
    var (exitCode, text) = StartupFailure.Describe(ex);
    await Console.Error.WriteLineAsync(text).ConfigureAwait(false);
    return exitCode;
}

return Environment.ExitCode;
