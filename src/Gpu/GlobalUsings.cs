// The engine types this backend builds on, in one place: the engine split (issue 9) moves them between
// namespaces, and only these lines follow.
global using LlmQueue.Engine.KvCache.Jenga;
global using LlmQueue.Engine.Models;
global using LlmQueue.Engine.Weights;
