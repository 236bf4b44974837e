using Microsoft.EntityFrameworkCore;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

/// <summary>A passage near the question's meaning: cosine similarity in [-1, 1] (1 = same direction).</summary>
public sealed record VectorHit(Guid ChunkId, double Similarity);

/// <summary>
/// Where passage embeddings live and how the nearest are found. One seam, so pgvector (or another store) can replace
/// the <c>real[]</c> columns without touching retrieval. Every call runs in the given context's tenant (query filter
/// and row-level security), and only vectors made by <paramref name="model"/> count: vectors of two models do not compare.
/// </summary>
public interface IVectorIndex
{
    Task SaveAsync(AppDbContext db, Guid chunkId, float[] vector, string model, CancellationToken ct);

    Task<IReadOnlyList<VectorHit>> NearestAsync(AppDbContext db, float[] query, string model, int limit, CancellationToken ct);
}

/// <summary>
/// Vectors in PostgreSQL as <c>real[]</c> on knowledge_chunks (pgvector is not available here), similarity computed in
/// the database by a dot product over unit-length vectors (the writer normalises them, so that is the cosine). An exact
/// scan of the tenant's passages: fine for a business's few thousand passages, which is what a tenant holds.
/// </summary>
public sealed class ArrayVectorIndex : IVectorIndex
{
    public const string Embedding = "Embedding";
    public const string EmbeddingModel = "EmbeddingModel";
    public const string EmbeddingDueAt = "EmbeddingDueAt";
    public const string EmbeddingAttempts = "EmbeddingAttempts";

    public async Task SaveAsync(AppDbContext db, Guid chunkId, float[] vector, string model, CancellationToken ct)
    {
        var unit = Normalize(vector);
        var tenant = db.Tenant.TenantId ?? throw new InvalidOperationException("Saving a vector needs a tenant context.");
        await db.Database.ExecuteSqlAsync($"""
            UPDATE knowledge_chunks SET embedding = {unit}, embedding_model = {model}, embedding_due_at = NULL
            WHERE tenant_id = {tenant} AND id = {chunkId}
            """, ct);
    }

    private sealed record HitRow(Guid Id, double Similarity);

    public async Task<IReadOnlyList<VectorHit>> NearestAsync(AppDbContext db, float[] query, string model, int limit, CancellationToken ct)
    {
        var unit = Normalize(query);
        var tenant = db.Tenant.TenantId ?? throw new InvalidOperationException("A vector search needs a tenant context.");
        var rows = await db.Database.SqlQuery<HitRow>($"""
            SELECT c.id, s.similarity
            FROM knowledge_chunks c
            CROSS JOIN LATERAL (SELECT coalesce(sum(a * b), 0)::float8 AS similarity
                                FROM unnest(c.embedding, {unit}::real[]) AS v(a, b)) s
            WHERE c.tenant_id = {tenant} AND c.embedding_model = {model} AND c.embedding IS NOT NULL
              AND cardinality(c.embedding) = {unit.Length}
            ORDER BY s.similarity DESC, c.id
            LIMIT {limit}
            """).ToListAsync(ct);
        return rows.Select(r => new VectorHit(r.Id, r.Similarity)).ToList();
    }

    /// <summary>Unit length, so a dot product is the cosine; a zero vector stays zero (similar to nothing).</summary>
    public static float[] Normalize(ReadOnlySpan<float> vector)
    {
        double sum = 0;
        foreach (var x in vector) sum += x * (double)x;
        var norm = Math.Sqrt(sum);
        var unit = new float[vector.Length];
        if (norm == 0) return unit;
        for (var i = 0; i < vector.Length; i++) unit[i] = (float)(vector[i] / norm);
        return unit;
    }
}
