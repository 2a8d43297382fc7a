// Engine namespaces in one place.
global using LlmQueue.Engine.KvCache.Jenga;
global using LlmQueue.Engine.Runners;
global using LlmQueue.Models;
global using LlmQueue.Models.Synthetic;
global using LlmQueue.Models.Weights;
global using LlmQueue.TestKit;
