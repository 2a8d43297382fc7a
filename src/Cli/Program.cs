using LlmQueue.Cli;
using LlmQueue.Client;

var root = CliParser.Build(
    (settings, ct) => RunGuardedAsync(() => GenerateCommand.RunAsync(settings, ct)),
    (settings, ct) => RunGuardedAsync(() => DemoCommand.RunAsync(settings, ct)));
return await root.Parse(args).InvokeAsync();

// Every failure becomes one clear line on stderr and a meaningful exit code, never a stack trace.
static async Task<int> RunGuardedAsync(Func<Task<int>> command)
{
    try
    {
        return await command();
    }
    catch (GenerationFailedException e)
    {
        await Console.Error.WriteLineAsync($"error: the worker rejected the request: {e.Code}: {e.WorkerMessage}");
        return ExitCodes.GenerationFailed;
    }
    catch (OperationCanceledException)
    {
        await Console.Error.WriteLineAsync("cancelled.");
        return ExitCodes.Cancelled;
    }
#pragma warning disable CA1031 // The top level of a CLI is where unknown failures are turned into a message.
    catch (Exception e)
#pragma warning restore CA1031
    {
        await Console.Error.WriteLineAsync($"error: {Describe(e)}");
        return ExitCodes.Error;
    }
}

static string Describe(Exception e) =>
    e is AggregateException { InnerExceptions.Count: 1 } aggregate ? Describe(aggregate.InnerExceptions[0])
    : e.InnerException is { } inner && e.Message.Contains("inner exception", StringComparison.OrdinalIgnoreCase) ? Describe(inner)
    : $"{e.Message} ({e.GetType().Name})";
