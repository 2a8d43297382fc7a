using Microsoft.Extensions.Hosting;
using LlmQueue.Worker;

await WorkerHost.CreateBuilder(args).Build().RunAsync().ConfigureAwait(false);
