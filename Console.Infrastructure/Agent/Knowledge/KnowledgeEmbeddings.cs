using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

/// <summary>
/// Turns text into vectors for retrieval with the configured <c>Llm:EmbeddingModel</c> on the OpenAI-compatible
/// endpoint, and records each call's tokens and cost like a chat call. Off (retrieval by words only) without an API key
/// or without an embedding model.
/// </summary>
public sealed class KnowledgeEmbeddings
{
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _generator;
    private readonly LlmGateway? _gateway;

    public KnowledgeEmbeddings(LlmGateway gateway, IOptions<LlmOptions> options)
    {
        _gateway = gateway;
        Model = options.Value.EmbeddingModel?.Trim() ?? "";
        if (gateway.IsConfigured && Model.Length > 0) _generator = gateway.EmbeddingsFor(Model);
    }

    /// <summary>Any generator under a model name (the retrieval benchmark's in-process fake embedder).</summary>
    public KnowledgeEmbeddings(IEmbeddingGenerator<string, Embedding<float>> generator, string model)
    {
        _generator = generator;
        Model = model;
    }

    public bool IsEnabled => _generator is not null;

    /// <summary>The model whose vectors count; a vector made by another model is due again.</summary>
    public string Model { get; }

    /// <summary>One vector per text, in order; the call's usage is recorded for the tenant.</summary>
    public async Task<IReadOnlyList<float[]>> EmbedAsync(Guid tenantId, IReadOnlyList<string> texts, CancellationToken ct)
    {
        if (_generator is null) throw new InvalidOperationException("No embedding model is configured.");
        if (texts.Count == 0) return [];
        var embeddings = await _generator.GenerateAsync(texts, cancellationToken: ct);
        if (embeddings.Count != texts.Count)
            throw new InvalidOperationException($"The embedding endpoint returned {embeddings.Count} vectors for {texts.Count} texts.");
        if (_gateway is not null) await _gateway.RecordUsageAsync(tenantId, null, Model, LlmFeature.Embedding, embeddings.Usage, ct);
        return embeddings.Select(e => ArrayVectorIndex.Normalize(e.Vector.Span)).ToList();
    }

    /// <summary>What a passage's vector is made of: its document's title and its text, as retrieval sees it.</summary>
    public static string PassageText(string title, string text) => $"{title}\n{text}";
}
