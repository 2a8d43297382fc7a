// Engine namespaces in one place (the engine split, issue 9, moves them).
global using LlmQueue.Engine.Models;
global using LlmQueue.Engine.Synthetic;
global using LlmQueue.Engine.Weights;
