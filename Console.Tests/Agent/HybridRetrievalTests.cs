using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

public class RetrievalFusionTests
{
    [Fact]
    public void Reciprocal_rank_fusion_scores_first_in_both_rankings_as_one_and_a_passage_found_twice_above_one_found_once()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid();
        var fused = KnowledgeBase.Fuse([a, b], [b, c]);
        Assert.Equal([b, a, c], fused.Select(f => f.Id));
        Assert.Equal(1.0 / 62 + 1.0 / 61, fused[0].Score * 2 / 61, 10);
        Assert.Equal(0.5, fused[1].Score, 10); // first by words, not found by meaning
        Assert.Equal(1.0, KnowledgeBase.Fuse([a], [a])[0].Score, 10);
    }

    [Fact]
    public void The_fake_embedder_is_deterministic_and_puts_a_paraphrase_nearer_its_passage_than_another_passage()
    {
        static double Cos(float[] x, float[] y) => x.Zip(y, (p, q) => (double)p * q).Sum();
        var passage = FakeEmbedder.Embed("Clínica Dental Sonrisa\nEl precio de la limpieza dental es de $600 MXN.");
        var other = FakeEmbedder.Embed("Clínica Dental Sonrisa\nDuración de la endodoncia: la sesión dura unos 90 minutos.");
        var question = FakeEmbedder.Embed("¿Cuánto me cobran por que me quiten el sarro?");
        Assert.Equal(passage, FakeEmbedder.Embed("Clínica Dental Sonrisa\nEl precio de la limpieza dental es de $600 MXN."));
        Assert.True(Cos(question, passage) > Cos(question, other) + 0.2, $"{Cos(question, passage)} vs {Cos(question, other)}");
    }
}

/// <summary>The app with a scripted LLM; with <c>Llm:EmbeddingModel</c> set or not.</summary>
public abstract class LlmAppFixture(bool embeddings) : IAsyncLifetime
{
    public const string EmbeddingModel = "text-embedding-3-small";
    public FakeLlm Llm { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public Dictionary<string, string?> Settings()
    {
        var settings = AgentApp.Settings(Llm);
        settings["Agent:Workers"] = "0"; // no agent turns here: only the knowledge base is exercised
        if (embeddings) settings["Llm:EmbeddingModel"] = EmbeddingModel;
        return settings;
    }

    public async Task InitializeAsync()
    {
        Llm = await FakeLlm.StartAsync();
        App = new NodeAppFactory(null, Settings());
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Llm.DisposeAsync();
    }
}

public sealed class EmbeddingAppFixture() : LlmAppFixture(true);

public sealed class WordsOnlyAppFixture() : LlmAppFixture(false);

public class HybridRetrievalTests(EmbeddingAppFixture hybrid, WordsOnlyAppFixture wordsOnly)
    : IClassFixture<EmbeddingAppFixture>, IClassFixture<WordsOnlyAppFixture>
{
    // A small fixed corpus from the retrieval benchmark's vocabulary, each passage its own document.
    private static readonly (string Title, string Text)[] Corpus =
    [
        ("Clínica Dental Sonrisa", "El precio de la limpieza dental es de $600 MXN. Aceptamos tarjeta, efectivo y transferencia."),
        ("Clínica Dental Sonrisa", "Duración de la endodoncia: la sesión dura unos 90 minutos."),
        ("Clínica Dental Sonrisa", "Para agendar el blanqueamiento dental, escríbanos por WhatsApp con 3 días de anticipación."),
        ("Clínica Dental Sonrisa", "Cancelaciones de la ortodoncia invisible: gratis hasta un día antes; con menos aviso se retiene la mitad del anticipo."),
        ("Serena Spa", "The price of a hot stone massage is $80 USD. We accept card, cash and bank transfer."),
        ("Serena Spa", "A hydrating facial is painless; if anything feels uncomfortable, the specialist adjusts."),
        ("Serena Spa", "Before waxing: avoid a heavy meal two hours earlier and bring an ID."),
        ("Clear Vision Optics", "Deal on contact lenses: 10 % off paying cash and up to 6 interest-free monthly installments."),
    ];

    // Paraphrases that share none of their passage's content words, with the passage they ask about.
    private static readonly (string Question, int Expected)[] Paraphrases =
    [
        ("¿Cuánto me cobran por que me quiten el sarro?", 0),
        ("¿Cuánto tiempo me lleva tratar el nervio infectado de una muela?", 1),
        ("¿Cómo reservo un espacio para aclarar el color de los dientes?", 2),
        ("¿Y si me arrepiento de enderezar los dientes chuecos?", 3),
        ("How much do you charge for therapy with warm rocks?", 4),
        ("Will a treatment for dry skin on my face hurt?", 5),
        ("How should I get ready for removing leg hair?", 6),
        ("Is there any discount or sale on soft discs worn on the eyeball?", 7),
    ];

    private static async Task<Guid> TenantWithCorpusAsync(ConsoleAppFactory app)
    {
        var tenant = await app.TenantAsync();
        await using var work = app.Scopes.ForTenant(tenant.Id);
        var kb = work.Services.GetRequiredService<KnowledgeBase>();
        foreach (var (title, text) in Corpus) await kb.AddAsync(title, text, default);
        return tenant.Id;
    }

    private static async Task<IReadOnlyList<KnowledgePassage>> SearchAsync(ConsoleAppFactory app, Guid tenantId, string query, int limit = 3)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Services.GetRequiredService<KnowledgeBase>().SearchAsync(query, limit, default);
    }

    private static async Task<int> VectorsAsync(ConsoleAppFactory app, Guid tenantId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM knowledge_chunks WHERE tenant_id = {tenantId} AND embedding IS NOT NULL").SingleAsync();
    }

    private static Task WaitForVectorsAsync(ConsoleAppFactory app, Guid tenantId, int count) =>
        Eventually.TrueAsync(async () => await VectorsAsync(app, tenantId) >= count, $"{count} passage vectors", TimeSpan.FromSeconds(30));

    private static async Task<int> FoundInTopThreeAsync(ConsoleAppFactory app, Guid tenantId)
    {
        var found = 0;
        foreach (var (question, expected) in Paraphrases)
            if ((await SearchAsync(app, tenantId, question)).Any(p => p.Text == Corpus[expected].Text)) found++;
        return found;
    }

    [Fact]
    public async Task Hybrid_retrieval_finds_paraphrased_questions_that_full_text_misses()
    {
        var withEmbeddings = await TenantWithCorpusAsync(hybrid.App);
        var withWords = await TenantWithCorpusAsync(wordsOnly.App);
        await WaitForVectorsAsync(hybrid.App, withEmbeddings, Corpus.Length);

        var byWords = await FoundInTopThreeAsync(wordsOnly.App, withWords);
        var fused = await FoundInTopThreeAsync(hybrid.App, withEmbeddings);
        Assert.Equal(Paraphrases.Length, fused);
        Assert.True(byWords < fused, $"full-text found {byWords} of {Paraphrases.Length}, hybrid {fused}");
        // A literal question still comes first, with the fused score of first by words and by meaning.
        var literal = await SearchAsync(hybrid.App, withEmbeddings, "¿Cuál es el precio de la limpieza dental?");
        Assert.Equal(Corpus[0].Text, literal[0].Text);
        Assert.Equal(1.0, literal[0].Rank, 6);
        Assert.All(literal, p => Assert.InRange(p.Rank, 0.0, 1.0));
    }

    [Fact]
    public async Task Without_an_embedding_model_retrieval_is_full_text_alone_and_no_embedding_is_requested()
    {
        var tenant = await TenantWithCorpusAsync(wordsOnly.App);
        var passages = await SearchAsync(wordsOnly.App, tenant, "¿Cuál es el precio de la limpieza dental?");
        Assert.Equal(Corpus[0].Text, passages[0].Text);
        // Today's score: PostgreSQL's full-text rank (ts_rank_cd), not the fused one on (0, 1].
        Assert.NotEqual(1.0, passages[0].Rank, 6);
        Assert.Empty(wordsOnly.Llm.EmbeddingRequests);
        Assert.Equal(0, await VectorsAsync(wordsOnly.App, tenant));
    }

    [Fact]
    public async Task A_passage_without_a_vector_is_still_found_by_its_words()
    {
        var tenant = await TenantWithCorpusAsync(hybrid.App);
        await WaitForVectorsAsync(hybrid.App, tenant, Corpus.Length);
        await using (var work = hybrid.App.Scopes.ForTenant(tenant))
        {
            var kb = work.Services.GetRequiredService<KnowledgeBase>();
            await kb.AddAsync("Estacionamiento", "Contamos con estacionamiento gratuito para pacientes en el sótano del edificio.", default);
        }
        // The worker embeds it at once; only once it has may the vector be taken away, or its save could land after ours.
        await WaitForVectorsAsync(hybrid.App, tenant, Corpus.Length + 1);
        await using (var work = hybrid.App.Scopes.ForTenant(tenant))
        {
            // Not embedded (yet, or ever: the endpoint kept failing): no vector, not due.
            await work.Db.Database.ExecuteSqlAsync($"""
                UPDATE knowledge_chunks SET embedding = NULL, embedding_model = NULL, embedding_due_at = NULL
                WHERE tenant_id = {tenant} AND title = 'Estacionamiento'
                """);
        }
        var passages = await SearchAsync(hybrid.App, tenant, "¿Tienen estacionamiento?");
        Assert.Contains("estacionamiento gratuito", passages[0].Text);
        Assert.Equal(Corpus.Length, await VectorsAsync(hybrid.App, tenant));
    }

    [Fact]
    public async Task Another_tenants_passages_are_never_returned_by_words_or_by_meaning()
    {
        var clinic = await TenantWithCorpusAsync(hybrid.App);
        await WaitForVectorsAsync(hybrid.App, clinic, Corpus.Length);
        var other = await hybrid.App.TenantAsync();
        await using (var work = hybrid.App.Scopes.ForTenant(other.Id))
            await work.Services.GetRequiredService<KnowledgeBase>().AddAsync("Horario", "Abrimos de lunes a viernes de 9:00 a 18:00.", default);
        await WaitForVectorsAsync(hybrid.App, other.Id, 1);

        foreach (var (question, _) in Paraphrases)
            Assert.All(await SearchAsync(hybrid.App, other.Id, question, 20), p => Assert.DoesNotContain(p.Text, Corpus.Select(c => c.Text)));
        Assert.All(await SearchAsync(hybrid.App, other.Id, "precio limpieza dental", 20), p => Assert.DoesNotContain(p.Text, Corpus.Select(c => c.Text)));

        // The vector index itself, asked in the other tenant's context for the clinic's own passage vector.
        await using var scope = hybrid.App.Scopes.ForTenant(other.Id);
        var index = scope.Services.GetRequiredService<IVectorIndex>();
        var hits = await index.NearestAsync(scope.Db, FakeEmbedder.Embed(KnowledgeEmbeddings.PassageText(Corpus[0].Title, Corpus[0].Text)),
            LlmAppFixture.EmbeddingModel, 50, default);
        Assert.Single(hits);
        await using var clinicScope = hybrid.App.Scopes.ForTenant(clinic);
        Assert.False(await clinicScope.Db.KnowledgeChunks.AnyAsync(c => c.Id == hits[0].ChunkId));
    }

    [Fact]
    public async Task Embedding_calls_for_passages_and_questions_are_recorded_in_token_usage()
    {
        var tenant = await TenantWithCorpusAsync(hybrid.App);
        await WaitForVectorsAsync(hybrid.App, tenant, Corpus.Length);
        await using var work = hybrid.App.Scopes.ForTenant(tenant);
        var passageTokens = Corpus.Sum(c => FakeEmbedder.CountTokens(KnowledgeEmbeddings.PassageText(c.Title, c.Text)));
        await Eventually.TrueAsync(async () => await work.Db.TokenUsage.Where(u => u.Feature == LlmFeature.Embedding).SumAsync(u => u.InputTokens) == passageTokens,
            "the passages' embedding usage");

        const string question = "¿Cuánto me cobran por que me quiten el sarro?";
        await SearchAsync(hybrid.App, tenant, question);
        var usage = await work.Db.TokenUsage.AsNoTracking().Where(u => u.Feature == LlmFeature.Embedding).ToListAsync();
        Assert.All(usage, u => Assert.Equal(LlmAppFixture.EmbeddingModel, u.Model));
        Assert.Equal(passageTokens + FakeEmbedder.CountTokens(question), usage.Sum(u => u.InputTokens));
        Assert.All(usage, u => Assert.Equal(0, u.OutputTokens));
    }

    [Fact]
    public async Task Passages_written_before_an_embedding_model_was_configured_get_vectors_once_it_is()
    {
        var tenant = await TenantWithCorpusAsync(wordsOnly.App);
        Assert.Equal(0, await VectorsAsync(wordsOnly.App, tenant));

        // The same database restarted with an embedding model (its own fake endpoint): the backfill needs no action.
        await using var llm = await FakeLlm.StartAsync();
        var settings = AgentApp.Settings(llm);
        settings["Agent:Workers"] = "0";
        settings["Llm:EmbeddingModel"] = LlmAppFixture.EmbeddingModel;
        await using var restarted = new NodeAppFactory(wordsOnly.App.Database, settings);
        await restarted.InitializeAsync();
        await WaitForVectorsAsync(restarted, tenant, Corpus.Length);
        var passages = await SearchAsync(restarted, tenant, Paraphrases[0].Question);
        Assert.Equal(Corpus[0].Text, passages[0].Text);
    }

    [Fact]
    public async Task Two_nodes_embed_each_passage_once()
    {
        await using var second = new NodeAppFactory(hybrid.App.Database, hybrid.Settings());
        await second.InitializeAsync();
        var tenant = await hybrid.App.TenantAsync();
        var texts = Enumerable.Range(0, 40).Select(i => $"Pregunta frecuente {i}: respuesta número {i} sobre el servicio {i}.").ToList();
        await using (var work = second.Scopes.ForTenant(tenant.Id))
        {
            var kb = work.Services.GetRequiredService<KnowledgeBase>();
            foreach (var (text, i) in texts.Select((t, i) => (t, i))) await kb.AddAsync($"FAQ {i}", text, default);
        }
        await WaitForVectorsAsync(hybrid.App, tenant.Id, texts.Count);
        // Every passage went to the embedding endpoint exactly once, whichever node claimed it.
        var sent = hybrid.Llm.EmbeddingRequests.SelectMany(r => r["input"] is System.Text.Json.Nodes.JsonArray a ? a.Select(i => (string?)i) : [(string?)r["input"]])
            .Where(i => i is not null && i.StartsWith("FAQ ")).ToList();
        Assert.Equal(texts.Count, sent.Count);
        Assert.Equal(texts.Count, sent.Distinct().Count());
    }
}
