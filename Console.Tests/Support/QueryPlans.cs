using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Tests.Support;

/// <summary>What PostgreSQL does with a query as the app sends it (its own SQL and parameters), for tests that pin a plan.</summary>
public static class QueryPlans
{
    /// <summary>
    /// Every node of the query's plan, depth first. With <paramref name="analyze"/> the query runs (EXPLAIN ANALYZE, inside a
    /// transaction rolled back at the end) and the nodes carry their actual rows and loops.
    /// </summary>
    public static async Task<List<JsonElement>> NodesAsync<T>(AppDbContext db, IQueryable<T> query, bool analyze = false)
    {
        await db.Database.OpenConnectionAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        await using var command = query.CreateDbCommand();
        command.Transaction = tx.GetDbTransaction();
        command.CommandText = (analyze ? "EXPLAIN (ANALYZE, FORMAT JSON) " : "EXPLAIN (FORMAT JSON) ") + command.CommandText;
        var json = (string)(await command.ExecuteScalarAsync())!;
        var nodes = new List<JsonElement>();
        Collect(JsonDocument.Parse(json).RootElement[0].GetProperty("Plan").Clone());
        return nodes;

        void Collect(JsonElement node)
        {
            nodes.Add(node);
            if (node.TryGetProperty("Plans", out var children))
                foreach (var child in children.EnumerateArray()) Collect(child);
        }
    }
}
