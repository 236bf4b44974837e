using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>Agent versions (author, rollback, diff, REST), the profile's scoring weights and the prompt preview's renderer.</summary>
public class AgentVersionsTests(AgentApp agent) : IClassFixture<AgentApp>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private AgentProfiles Profiles => agent.App.Services.GetRequiredService<AgentProfiles>();

    private static string Exactly(AgentSettings s) => JsonSerializer.Serialize(s, Json);

    private HttpClient Platform()
    {
        var client = agent.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return client;
    }

    [Fact]
    public async Task Rolling_back_publishes_an_exact_copy_of_the_old_version_as_the_newest_and_the_next_turn_uses_its_prompt()
    {
        var marker = "v" + Guid.NewGuid().ToString("N")[..8];
        var customer = await TestCustomer.CreateAsync(agent.App, s => s with
        {
            SystemPrompt = $"Eres la recepcionista antigua {marker} de {{{{business_name}}}}.",
            Tone = "formal",
            Temperature = 0.9,
            MaxTokens = 321,
            TimeZone = "America/Bogota",
            BusinessHours = BusinessHours.Typical,
            OutOfHours = OutOfHoursMode.AnswerNormally, // the turn below may fall outside these hours: it must still reach the model
            AutoEscalateAfterMessages = 12,
            HighValueScore = 70,
            FewShotExamples = [new FewShotExample("¿Precio?", "La limpieza cuesta $600.")],
            LeadFields = ["tratamiento"],
            ScoringWeights = new LeadScoringWeights(1, 2, 3, 4, 5, -6, -7),
            AppointmentMinutes = 45,
            HandoffNotifyNumber = "+5215511112222",
        });
        int oldNumber;
        AgentSettings old;
        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
        {
            var live = await Profiles.GetLiveAsync(work.Db, customer.TenantId, default);
            (oldNumber, old) = (live.Version, live.Settings);
            await Profiles.UpdateLiveAsync(work.Db, customer.TenantId, old with
            {
                SystemPrompt = "Eres la recepcionista nueva.", Tone = null, Temperature = 0.2, MaxTokens = 800, TimeZone = "America/Mexico_City",
                BusinessHours = BusinessHours.Always, OutOfHours = OutOfHoursMode.SayWhenBack, AutoEscalateAfterMessages = null,
                HighValueScore = null, FewShotExamples = [], LeadFields = [], ScoringWeights = LeadScoringWeights.Default, AppointmentMinutes = 30,
                HandoffNotifyNumber = null, EscalationKeywords = ["gerente"],
            }, default, new AgentActor(null, "api-key:n8n"));
            await Profiles.SaveDraftAsync(work.Db, customer.TenantId, old with { SystemPrompt = "Borrador en curso." }, default, new AgentActor(null, "Ana"));
            // The owner already tested this draft: its replay results must stay with it.
            var draftNumber = await work.Db.AgentProfiles.Where(p => p.State == AgentProfileState.Draft).Select(p => p.Version).SingleAsync();
            work.Db.ReplayRuns.Add(ReplayRun.Start(customer.TenantId, draftNumber, judge: false, null, 0, 0, "Ana", DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }

        AgentProfile restored;
        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
            restored = await Profiles.RestoreAsync(work.Db, customer.TenantId, oldNumber, new AgentActor(Guid.NewGuid(), "Lucía Dueña"), default);

        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
        {
            var live = await work.Db.AgentProfiles.AsNoTracking().SingleAsync(p => p.State == AgentProfileState.Live);
            Assert.Equal(restored.Version, live.Version);
            Assert.True(live.Version > await work.Db.AgentProfiles.Where(p => p.State == AgentProfileState.Archived).MaxAsync(p => p.Version));
            Assert.Equal(Exactly(old), Exactly(live.Settings));
            Assert.Equal("Lucía Dueña", live.PublishedBy);
            Assert.Equal(oldNumber, live.RestoredFrom);
            var draft = await work.Db.AgentProfiles.AsNoTracking().SingleAsync(p => p.State == AgentProfileState.Draft);
            Assert.Equal("Borrador en curso.", draft.SystemPrompt);
            // Versions only go up: the draft is numbered above the restored live version, and its replay run follows it.
            Assert.True(draft.Version > live.Version, $"draft v{draft.Version} must come after live v{live.Version}");
            Assert.Equal(draft.Version, (await work.Db.ReplayRuns.AsNoTracking().SingleAsync()).DraftVersion);
            var actions = await work.Db.AuditEntries.AsNoTracking().Where(a => a.TenantId == customer.TenantId).Select(a => new { a.Action, a.Actor }).ToListAsync();
            Assert.Contains(actions, a => a.Action == "agent.published" && a.Actor == "api-key:n8n");
            Assert.Contains(actions, a => a.Action == "agent.draft_saved" && a.Actor == "Ana");
            Assert.Contains(actions, a => a.Action == "agent.restored" && a.Actor == "Lucía Dueña");
        }

        await customer.SayAsync($"{customer.Marker} hola");
        await customer.WaitForBotMessagesAsync(1);
        var request = agent.Llm.ReplyRequests.First(r => r.ToJsonString().Contains(customer.Marker));
        var system = request["messages"]!.AsArray().First(m => (string?)m!["role"] == "system")!["content"]!.ToString();
        Assert.Contains($"Eres la recepcionista antigua {marker} de", system);
        Assert.DoesNotContain("recepcionista nueva", system);
    }

    [Fact]
    public void The_diff_lists_exactly_the_changed_fields_and_the_prompt_line_by_line()
    {
        var tenant = Guid.NewGuid();
        var a = AgentProfile.CreateDefault(tenant, "Clínica", DateTimeOffset.UtcNow).Settings with { SystemPrompt = "Línea uno\nLínea dos\nLínea tres" };
        var b = a with
        {
            SystemPrompt = "Línea uno\nLínea 2\nLínea tres",
            Tone = "cálido",
            MaxTokens = 900,
            ScoringWeights = a.ScoringWeights with { Urgent = 40 },
            EscalationKeywords = a.EscalationKeywords.ToList(), // another list with the same words: not a change
        };

        var changes = AgentVersionDiff.Fields(a, b, CultureInfo.GetCultureInfo("es-MX"));

        Assert.Equal(["systemPrompt", "tone", "maxTokens", "scoringWeights"], changes.Select(c => c.Field));
        Assert.Contains(changes, c => c.Field == "tone" && c.Before == "" && c.After == "cálido");
        Assert.Contains(changes, c => c.Field == "scoringWeights" && c.Before.Contains("urgent +15") && c.After.Contains("urgent +40"));
        Assert.Equal(
            [(PromptLineKind.Same, "Línea uno"), (PromptLineKind.Removed, "Línea dos"), (PromptLineKind.Added, "Línea 2"), (PromptLineKind.Same, "Línea tres")],
            AgentVersionDiff.Prompt(a.SystemPrompt, b.SystemPrompt).Select(l => (l.Kind, l.Text)));
        Assert.Empty(AgentVersionDiff.Fields(a, a with { LeadFields = a.LeadFields.ToList() }, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task The_api_lists_versions_with_their_author_and_restores_only_the_tenants_own_published_versions()
    {
        var mine = await agent.App.TenantAsync();
        var theirs = await agent.App.TenantAsync();
        var api = Platform();
        // Their tenant has many versions; mine only the first two: a number that exists only there is unknown here.
        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync($"/api/v1/tenants/{theirs.Id}/agent", new { tone = $"t{i}" })).StatusCode);
        var issued = await api.PostAsJsonAsync($"/api/v1/tenants/{mine.Id}/api-keys", new { name = "n8n", scopes = new[] { "read", "admin" } });
        var key = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString();
        var client = agent.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/api/v1/tenants/{mine.Id}/agent", new { systemPrompt = "Segunda versión." })).StatusCode);

        var list = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{mine.Id}/agent/versions");
        var items = list.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal("Segunda versión.", items[0].GetProperty("systemPrompt").GetString());
        Assert.Equal("api-key:n8n", items[0].GetProperty("author").GetString());
        Assert.True(items[0].TryGetProperty("publishedAt", out _));
        var first = items[1].GetProperty("number").GetInt32();

        // Another tenant's versions: refused before any number is looked at.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync($"/api/v1/tenants/{theirs.Id}/agent/versions/{first}/restore", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/api/v1/tenants/{theirs.Id}/agent/versions")).StatusCode);
        // A number that is only theirs, or nobody's: not found here.
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/v1/tenants/{mine.Id}/agent/versions/{first + 4}/restore", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/v1/tenants/{mine.Id}/agent/versions/999/restore", null)).StatusCode);
        // A draft was never published.
        int draft;
        await using (var work = agent.App.Scopes.ForTenant(mine.Id))
            draft = (await Profiles.GetDraftAsync(work.Db, mine.Id, default)).Version;
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/v1/tenants/{mine.Id}/agent/versions/{draft}/restore", null)).StatusCode);

        var restore = await client.PostAsync($"/api/v1/tenants/{mine.Id}/agent/versions/{first}/restore", null);
        Assert.Equal(HttpStatusCode.OK, restore.StatusCode);
        var restored = await restore.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(restored.GetProperty("number").GetInt32() > draft);
        Assert.Equal(first, restored.GetProperty("restoredFrom").GetInt32());
        Assert.Equal(items[1].GetProperty("systemPrompt").GetString(), restored.GetProperty("systemPrompt").GetString());
        var live = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{mine.Id}/agent");
        Assert.Equal(items[1].GetProperty("systemPrompt").GetString(), live.GetProperty("systemPrompt").GetString());
        // Their agent is untouched.
        var theirsLive = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{theirs.Id}/agent");
        Assert.Equal("t3", theirsLive.GetProperty("tone").GetString());
    }

    [Fact]
    public async Task The_profiles_scoring_weights_decide_the_lead_score()
    {
        // Every analysis in this class says "interested and urgent"; the other tests do not look at scores.
        agent.Llm.DefaultAnalysis = new { interested = true, urgent = true, budgetMentioned = false, decisionMaker = false, comparing = false,
            notInterested = false, spam = false, frustrated = false, paymentIssue = false };
        var customer = await TestCustomer.CreateAsync(agent.App, s => s with
        {
            ScoringWeights = LeadScoringWeights.Default with { Interested = 0, Urgent = 40 },
            HighValueScore = null,
        });
        await customer.SayAsync($"{customer.Marker} necesito una cita urgente");
        await customer.WaitForBotMessagesAsync(1);

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var contact = await Eventually.GetAsync(() => work.Db.Contacts.AsNoTracking().SingleAsync(), c => c.Score != Contact.InitialScore, "the score to change");
        Assert.Equal(90, contact.Score); // 50 + urgent 40 + interested 0 (the code's old weights gave 75)
        Assert.Contains(await customer.EventsAsync(), e => e.Text != null && e.Text.Contains("urgent +40") && !e.Text.Contains("interested"));
    }

    [Fact]
    public void A_bad_scoring_weight_is_refused()
    {
        var profile = AgentProfile.CreateDefault(Guid.NewGuid(), "Clínica", DateTimeOffset.UtcNow);
        var ex = Assert.Throws<OperatorConsole.Domain.Common.DomainException>(() =>
            profile.Update(profile.Settings with { ScoringWeights = LeadScoringWeights.Default with { Spam = -500 } }, DateTimeOffset.UtcNow));
        Assert.Equal("agent.scoring_weight", ex.Code);
    }

    [Fact]
    public void The_preview_renders_the_variables_for_the_contact_at_the_time_in_the_tenants_zone()
    {
        var lead = new LeadSnapshot("María López", "+5215512345678", null, null, "Nuevo", 50, "Warm", new Dictionary<string, string> { ["tratamiento"] = "ortodoncia" }, null);
        var now = new DateTimeOffset(2026, 12, 2, 15, 30, 0, TimeSpan.Zero);
        var template = "Hola {{contact_name}} de {{business_name}}: {{now}} · {{is_open}} · {{field.tratamiento}} · {{unknown}}.";

        var bogota = PromptBuilder.RenderVariables(template, "America/Bogota", BusinessHours.Typical, "Clínica Sonrisa", lead, now);
        var madrid = PromptBuilder.RenderVariables(template, "Europe/Madrid", BusinessHours.Typical, "Clínica Sonrisa", lead, now);

        Assert.Equal("Hola María López de Clínica Sonrisa: miércoles 2 de diciembre de 2026, 10:30 (America/Bogota) · abierto · ortodoncia · .", bogota);
        Assert.Equal("Hola María López de Clínica Sonrisa: miércoles 2 de diciembre de 2026, 16:30 (Europe/Madrid) · abierto · ortodoncia · .", madrid);
    }
}
