namespace Sluice.Bench.Baselines;

/// <summary>The SQL of the LISTEN/NOTIFY baseline's trigger: the row as JSON, one notification per row.</summary>
public static class NotifyTrigger
{
    public static string Create(string table) => $"""
        CREATE OR REPLACE FUNCTION bench_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{NotifyRelay.ChannelName}', row_to_json(NEW)::text);
            RETURN NEW;
        END $$;
        CREATE TRIGGER bench_notify AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION bench_notify();
        """;

    public static string Drop(string table) => $"DROP TRIGGER IF EXISTS bench_notify ON {table}";
}
