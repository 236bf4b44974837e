using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Tests.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Pipeline;

/// <summary>Configurable stages, the one place that moves a lead, the pipeline API and the CSV export — real PostgreSQL, real HTTP.</summary>
public class PipelineTests(RecordingEventsApp app) : IClassFixture<RecordingEventsApp>
{
    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private Task<HttpClient> TenantKeyAsync(Guid tenantId) => app.TenantApiAsync(tenantId, "pipeline");

    private LeadPipeline Pipeline => app.Services.GetRequiredService<LeadPipeline>();

    private static List<(string Name, string Kind)> Names(JsonElement pipeline) =>
        pipeline.GetProperty("stages").EnumerateArray().Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("kind").GetString()!)).ToList();

    [Fact]
    public async Task A_new_workspace_starts_with_the_default_stages_in_its_language_and_new_contacts_in_the_first()
    {
        var tenant = await app.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var pipeline = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/pipeline");
        Assert.Equal([("Nuevo", "open"), ("Contactado", "open"), ("Calificado", "open"), ("Cita agendada", "open"), ("Ganado", "won"), ("Perdido", "lost")],
            Names(pipeline));

        var conversation = await app.ConversationAsync(tenant.Id, "Ana");
        await using var work = app.Scopes.ForTenant(tenant.Id);
        var stageId = await work.Db.Contacts.Where(c => c.Id == conversation.ContactId).Select(c => c.StageId).SingleAsync();
        Assert.Equal("Nuevo", await work.Db.PipelineStages.Where(s => s.Id == stageId).Select(s => s.Name).SingleAsync());
    }

    [Fact]
    public async Task Every_move_writes_history_a_timeline_entry_and_a_stage_changed_event()
    {
        var tenant = await app.TenantAsync();
        var conversation = await app.ConversationAsync(tenant.Id, "Beto");
        var stages = await Pipeline.StagesAsync(tenant.Id);
        var qualified = stages.Single(s => s.Name == "Calificado");

        Assert.True(await Pipeline.MoveAsync(tenant.Id, conversation.ContactId, qualified.Id, new StageMover("Olivia"), "pidió presupuesto"));
        Assert.False(await Pipeline.MoveAsync(tenant.Id, conversation.ContactId, qualified.Id, new StageMover("Olivia"), null)); // already there

        await using var work = app.Scopes.ForTenant(tenant.Id);
        var history = Assert.Single(await work.Db.LeadStageChanges.Where(h => h.ContactId == conversation.ContactId).ToListAsync());
        Assert.Equal(("Nuevo", "Calificado", qualified.Id, "Olivia", "pidió presupuesto"),
            (history.FromStageName, history.ToStageName, history.ToStageId, history.ChangedBy, history.Reason));
        var entry = Assert.Single(await work.Db.ConversationEvents.Where(e => e.ConversationId == conversation.Id && e.Type == ConversationEventType.StageChanged).ToListAsync());
        Assert.Equal("Nuevo → Calificado", entry.Text);
        var raised = Assert.Single(app.Recorded.All<LeadStageChanged>(), e => e.ContactId == conversation.ContactId);
        Assert.Equal((conversation.Id, "Nuevo", "Calificado", "open", "Olivia"), (raised.ConversationId, raised.FromStage, raised.ToStage, raised.ToStageKind, raised.ChangedBy));
    }

    [Fact]
    public async Task Renaming_a_stage_keeps_the_names_history_had_and_the_api_patch_moves_through_the_pipeline()
    {
        var tenant = await app.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var conversation = await app.ConversationAsync(tenant.Id, "Carla");
        (await api.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/contacts/{conversation.ContactId}", new { stage = "contactado" })).EnsureSuccessStatusCode();

        var pipeline = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/pipeline");
        var stages = pipeline.GetProperty("stages").EnumerateArray().Select(s => new
        {
            id = s.GetProperty("id").GetGuid(),
            name = s.GetProperty("name").GetString() == "Contactado" ? "Primer contacto" : s.GetProperty("name").GetString(),
            kind = s.GetProperty("kind").GetString(),
            color = s.GetProperty("color").GetString(),
        }).ToList();
        var renamed = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/pipeline", new { stages });
        renamed.EnsureSuccessStatusCode();
        Assert.Contains(("Primer contacto", "open"), Names(await renamed.Content.ReadFromJsonAsync<JsonElement>()));

        var contact = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/contacts/{conversation.ContactId}");
        Assert.Equal("Primer contacto", contact.GetProperty("stage").GetString());
        await using var work = app.Scopes.ForTenant(tenant.Id);
        var history = Assert.Single(await work.Db.LeadStageChanges.Where(h => h.ContactId == conversation.ContactId).ToListAsync());
        Assert.Equal(("Nuevo", "Contactado"), (history.FromStageName, history.ToStageName));
        Assert.StartsWith("API", history.ChangedBy);
        Assert.Equal(stages.Single(s => s.name == "Primer contacto").id, history.ToStageId);
    }

    [Fact]
    public async Task Deleting_a_stage_that_holds_leads_needs_a_target_and_moves_them_there()
    {
        var tenant = await app.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var conversation = await app.ConversationAsync(tenant.Id, "Dora");
        var stages = await Pipeline.StagesAsync(tenant.Id);
        var booked = stages.Single(s => s.Name == "Cita agendada");
        var qualified = stages.Single(s => s.Name == "Calificado");
        await Pipeline.MoveAsync(tenant.Id, conversation.ContactId, booked.Id, new StageMover("test"), null);
        var without = stages.Where(s => s.Id != booked.Id).Select(s => new { id = s.Id, name = s.Name, kind = s.Kind.ToString(), color = s.Color }).ToList();

        var refused = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/pipeline", new { stages = without });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("pipeline.move_required", problem.GetProperty("code").GetString());
        Assert.Equal(6, (await Pipeline.StagesAsync(tenant.Id)).Count); // nothing changed

        var moved = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/pipeline",
            new { stages = without, moveTo = new Dictionary<Guid, Guid> { [booked.Id] = qualified.Id } });
        moved.EnsureSuccessStatusCode();
        Assert.DoesNotContain("Cita agendada", Names(await moved.Content.ReadFromJsonAsync<JsonElement>()).Select(n => n.Name));
        await using var work = app.Scopes.ForTenant(tenant.Id);
        Assert.Equal(qualified.Id, await work.Db.Contacts.Where(c => c.Id == conversation.ContactId).Select(c => c.StageId).SingleAsync());
        var last = await work.Db.LeadStageChanges.Where(h => h.ContactId == conversation.ContactId).OrderByDescending(h => h.ChangedAt).FirstAsync();
        // The deleted stage's id and name stay in history.
        Assert.Equal((booked.Id, "Cita agendada", "Calificado", LeadPipelineReasons.StageDeleted + "Cita agendada"),
            (last.FromStageId, last.FromStageName, last.ToStageName, last.Reason));
    }

    [Fact]
    public async Task A_pipeline_without_a_won_stage_or_with_two_stages_of_one_name_is_refused_in_the_callers_language()
    {
        var tenant = await app.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var noWon = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/pipeline",
            new { stages = new[] { new { name = "Abierto", kind = "open" }, new { name = "Perdido", kind = "lost" } } });
        Assert.Equal(HttpStatusCode.BadRequest, noWon.StatusCode);
        Assert.Equal("pipeline.kind_missing", (await noWon.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/tenants/{tenant.Id}/pipeline")
        {
            Content = JsonContent.Create(new { stages = new[] { new { name = "Nuevo", kind = "open" }, new { name = "nuevo", kind = "open" },
                new { name = "Ganado", kind = "won" }, new { name = "Perdido", kind = "lost" } } }),
        };
        request.Headers.AcceptLanguage.ParseAdd("es");
        var duplicate = await api.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains("Dos etapas se llaman «Nuevo»", (await duplicate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Export_csv_has_the_header_first_the_filtered_leads_and_neutralises_formulas()
    {
        var tenant = await app.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var evil = await app.ConversationAsync(tenant.Id, "=HYPERLINK(\"http://x\")");
        var plain = await app.ConversationAsync(tenant.Id, "Elena Ruiz");
        var stages = await Pipeline.StagesAsync(tenant.Id);
        await Pipeline.MoveAsync(tenant.Id, evil.ContactId, stages.Single(s => s.Name == "Ganado").Id, new StageMover("test"), null);

        var all = await api.GetAsync($"/api/v1/tenants/{tenant.Id}/contacts/export.csv");
        all.EnsureSuccessStatusCode();
        Assert.Equal("text/csv", all.Content.Headers.ContentType!.MediaType);
        var lines = (await all.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,name,phone,email,stage,score,temperature,owner,tags,value,created_at,last_activity_at", lines[0]);
        Assert.Equal(3, lines.Length);
        var evilLine = Assert.Single(lines, l => l.StartsWith(evil.ContactId.ToString()));
        Assert.Contains("'=HYPERLINK", evilLine);
        Assert.DoesNotContain(",=HYPERLINK", evilLine);
        Assert.Contains(",Ganado,", evilLine);

        var won = (await api.GetStringAsync($"/api/v1/tenants/{tenant.Id}/contacts/export.csv?stage=ganado")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, won.Length);
        Assert.StartsWith(evil.ContactId.ToString(), won[1]);
        var byName = (await api.GetStringAsync($"/api/v1/tenants/{tenant.Id}/contacts/export.csv?q=elena")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith(plain.ContactId.ToString(), Assert.Single(byName.Skip(1)));
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync($"/api/v1/tenants/{tenant.Id}/contacts/export.csv?stage=casado")).StatusCode);
    }

    [Fact]
    public async Task Export_of_another_workspace_is_refused_and_never_contains_its_leads()
    {
        var mine = await app.TenantAsync();
        var theirs = await app.TenantAsync();
        await app.ConversationAsync(theirs.Id, "Secreto Ajeno");
        var api = await TenantKeyAsync(mine.Id);

        var other = await api.GetAsync($"/api/v1/tenants/{theirs.Id}/contacts/export.csv");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.DoesNotContain("Secreto", await other.Content.ReadAsStringAsync());
        var unknown = await Client(ConsoleAppFactory.PlatformKey).GetAsync($"/api/v1/tenants/{Guid.NewGuid()}/contacts/export.csv");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var own = await api.GetStringAsync($"/api/v1/tenants/{mine.Id}/contacts/export.csv");
        Assert.DoesNotContain("Secreto", own);
    }

    [Fact]
    public async Task Grid_filters_by_stage_owner_tag_custom_field_and_text_and_survive_the_url_round_trip()
    {
        var tenant = await app.TenantAsync();
        var a = await app.ConversationAsync(tenant.Id, "Fabián Soto");
        var b = await app.ConversationAsync(tenant.Id, "Gina Paz");
        await app.ConversationAsync(tenant.Id, "Hugo Ríos");
        var stages = await Pipeline.StagesAsync(tenant.Id);
        var won = stages.Single(s => s.Kind == StageKind.Won);
        Guid owner;
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            owner = await work.Db.TenantMembers.Select(m => m.Id).FirstAsync();
            var contact = await work.Db.Contacts.SingleAsync(c => c.Id == b.ContactId);
            contact.SetField("sucursal", "Centro");
            await work.Db.SaveChangesAsync();
        }
        await Pipeline.MoveManyAsync(tenant.Id, [a.ContactId, b.ContactId], won.Id, new StageMover("bulk"), null);
        await Pipeline.AssignOwnerAsync(tenant.Id, [a.ContactId], owner);
        await Pipeline.AddTagAsync(tenant.Id, [b.ContactId], "VIP");
        var leads = app.Services.GetRequiredService<LeadQueries>();

        async Task<string[]> Names(LeadFilter f) =>
            (await leads.PageAsync(tenant.Id, null, LeadFilter.FromQuery(k => f.ToQuery().GetValueOrDefault(k)), 0, 50)).Items.Select(i => i.Name!).Order().ToArray();

        Assert.Equal(["Fabián Soto", "Gina Paz"], await Names(new LeadFilter { StageId = won.Id }));
        Assert.Equal(["Fabián Soto"], await Names(new LeadFilter { OwnerId = owner }));
        Assert.Equal(["Gina Paz", "Hugo Ríos"], await Names(new LeadFilter { OwnerId = Guid.Empty }));
        Assert.Equal(["Gina Paz"], await Names(new LeadFilter { Tag = "VIP" }));
        Assert.Equal(["Gina Paz"], await Names(new LeadFilter { Field = "sucursal = Centro" }));
        Assert.Equal(["Hugo Ríos"], await Names(new LeadFilter { Q = "rios" }));
        Assert.Equal(["Fabián Soto", "Gina Paz", "Hugo Ríos"], await Names(new LeadFilter { Sort = LeadSort.Name, Descending = false }));

        var board = await leads.BoardAsync(tenant.Id, null, new LeadFilter(), 20);
        Assert.Equal(stages.Select(s => s.Id), board.Select(c => c.StageId));
        Assert.Equal(2, board.Single(c => c.StageId == won.Id).Count);
        Assert.Equal(2, app.Recorded.All<LeadStageChanged>().Count(e => e.TenantId == tenant.Id));
    }

    [Fact]
    public async Task A_leads_value_follows_its_payment_links_when_paid_expired_refunded_and_merged()
    {
        // The grid and the kanban read the value kept on the contact (trigger payment_links_contact_value), not a sum per row.
        var tenant = await app.TenantAsync();
        var a = await app.ConversationAsync(tenant.Id, "Irene Vela");
        var b = await app.ConversationAsync(tenant.Id, "Irene Vela Messenger");
        var leads = app.Services.GetRequiredService<LeadQueries>();
        async Task<decimal> ValueAsync(Guid contactId) =>
            (await leads.PageAsync(tenant.Id, null, new LeadFilter(), 0, 50)).Items.Single(i => i.Id == contactId).Value;
        var now = DateTimeOffset.UtcNow;
        var cleaning = PaymentLink.Create(tenant.Id, a.ContactId, a.Id, "Limpieza", 100m, "MXN", now);
        var whitening = PaymentLink.Create(tenant.Id, a.ContactId, a.Id, "Blanqueamiento", 250m, "MXN", now);
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            work.Db.PaymentLinks.AddRange(cleaning, whitening);
            await work.Db.SaveChangesAsync();
        }
        Assert.Equal(350m, await ValueAsync(a.ContactId));

        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            Assert.True((await work.Db.PaymentLinks.SingleAsync(p => p.Id == whitening.Id)).MarkPaid(300m, "MXN", now)); // Stripe's amount
            Assert.True((await work.Db.PaymentLinks.SingleAsync(p => p.Id == cleaning.Id)).MarkUnpaid(PaymentLinkStatus.Expired, now));
            await work.Db.SaveChangesAsync();
        }
        Assert.Equal(300m, await ValueAsync(a.ContactId));
        var column = (await leads.BoardAsync(tenant.Id, null, new LeadFilter(), 20)).Single(c => c.Items.Any(i => i.Id == a.ContactId));
        Assert.Equal(2, column.Count);
        Assert.Equal(300m, column.Value);

        await using (var work = app.Scopes.ForTenant(tenant.Id))
            await OperatorConsole.Infrastructure.Leads.LeadCommands.MergeAsync(work.Db, b.ContactId, a.ContactId, "test", now);
        Assert.Equal(300m, await ValueAsync(b.ContactId));

        await using (var work = app.Scopes.ForTenant(tenant.Id))
            await work.Db.Database.ExecuteSqlAsync($"UPDATE payment_links SET status = {nameof(PaymentLinkStatus.Refunded)} WHERE id = {whitening.Id}");
        Assert.Equal(0m, await ValueAsync(b.ContactId));
    }

    [Fact]
    public async Task A_changed_custom_field_or_new_tag_moves_the_lead_between_filters_and_a_board_counts_per_column_with_them()
    {
        var tenant = await app.TenantAsync();
        var a = await app.ConversationAsync(tenant.Id, "Julia Mar");
        await app.ConversationAsync(tenant.Id, "Kevin Luz");
        var leads = app.Services.GetRequiredService<LeadQueries>();
        async Task<string[]> Names(LeadFilter f) => (await leads.PageAsync(tenant.Id, null, f, 0, 50)).Items.Select(i => i.Name!).Order().ToArray();
        async Task SetFieldAsync(string value)
        {
            await using var work = app.Scopes.ForTenant(tenant.Id);
            (await work.Db.Contacts.SingleAsync(c => c.Id == a.ContactId)).SetField("sucursal", value);
            await work.Db.SaveChangesAsync();
        }
        await SetFieldAsync("Centro");
        Assert.Equal(["Julia Mar"], await Names(new LeadFilter { Field = "sucursal = Centro" }));
        await SetFieldAsync("Norte");
        Assert.Empty(await Names(new LeadFilter { Field = "sucursal = Centro" }));
        Assert.Equal(["Julia Mar"], await Names(new LeadFilter { Field = "sucursal = Norte" }));
        Assert.Empty(await Names(new LeadFilter { Field = "sucursal = norte" }));
        Assert.Empty(await Names(new LeadFilter { Tag = "Frecuente" }));
        await Pipeline.AddTagAsync(tenant.Id, [a.ContactId], "Frecuente");
        Assert.Equal(["Julia Mar"], await Names(new LeadFilter { Tag = "Frecuente" }));

        var board = await leads.BoardAsync(tenant.Id, null, new LeadFilter { Tag = "Frecuente" }, 20);
        Assert.Equal(1, board.Sum(c => c.Count));
        Assert.Equal(["Julia Mar"], board.SelectMany(c => c.Items).Select(i => i.Name!).ToArray());
        var first = board[0].StageId;
        var only = await leads.BoardAsync(tenant.Id, null, new LeadFilter { StageId = first }, 20);
        Assert.Equal(2, only.Single(c => c.StageId == first).Count);
        Assert.All(only.Where(c => c.StageId != first), c => Assert.Equal((0, 0m), (c.Count, c.Value)));
    }

    [Fact]
    public async Task A_column_past_a_thousand_leads_counts_to_1001_keeps_its_exact_value_and_scrolls_to_its_last_card()
    {
        var tenant = await app.TenantAsync();
        var leads = app.Services.GetRequiredService<LeadQueries>();
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            // 1,024 leads of one score (the order falls to the id), every third with a 100 MXN payment link, and a few hot.
            await work.Db.Database.ExecuteSqlAsync($"""
                INSERT INTO contacts (id, tenant_id, name, score, temperature, bot_enabled, created_at, fields)
                SELECT gen_random_uuid(), {tenant.Id}, 'Lead ' || n, CASE WHEN n % 100 = 0 THEN 80 ELSE 50 END,
                       CASE WHEN n % 100 = 0 THEN 'Hot' ELSE 'Warm' END, true, now(), jsonb_build_object()
                FROM generate_series(1, 1024) AS n
                """);
            await work.Db.Database.ExecuteSqlAsync($"""
                INSERT INTO payment_links (id, tenant_id, contact_id, description, amount, currency, status, created_at)
                SELECT gen_random_uuid(), {tenant.Id}, c.id, 'Limpieza', 100, 'MXN', 'Pending', now()
                FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM contacts WHERE tenant_id = {tenant.Id}) c WHERE c.n % 3 = 0
                """);
        }
        var board = await leads.BoardAsync(tenant.Id, null, new LeadFilter(), 20);
        var column = board.Single(c => c.Count > 0);
        Assert.Equal(LeadQueries.BoardCountCap + 1, column.Count);
        Assert.Equal(341 * 100m, column.Value);
        Assert.Equal(20, column.Items.Count);
        Assert.Equal(80, column.Items[0].Score);

        // The first cards and then "more", page after page, reach every lead once, in the column's own order.
        var seen = column.Items.Select(i => i.Id).ToList();
        while (true)
        {
            var more = await leads.ColumnAsync(tenant.Id, null, new LeadFilter(), column.StageId, seen.Count, 200);
            seen.AddRange(more.Select(i => i.Id));
            if (more.Count < 200) break;
        }
        Assert.Equal(1024, seen.Distinct().Count());
        var firstPage = await leads.ColumnAsync(tenant.Id, null, new LeadFilter(), column.StageId, 0, 20);
        Assert.Equal(firstPage.Select(i => i.Id), column.Items.Select(i => i.Id));

        // The temperature filter (served by the score range) finds exactly the hot ones.
        var hot = (await leads.BoardAsync(tenant.Id, null, new LeadFilter { Temperature = LeadTemperature.Hot }, 20)).Single(c => c.Count > 0);
        Assert.Equal(10, hot.Count);
        Assert.All(hot.Items, i => Assert.Equal(LeadTemperature.Hot, i.Temperature));
    }
}
