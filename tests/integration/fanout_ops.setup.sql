-- fanout_ops.setup.sql — run on every cluster before shardgate starts.
-- `live` is region-sharded over the three running shards; `withdead` also
-- has a region on shard "mars", whose host never answers.
CREATE TABLE live (region text, v int);
CREATE TABLE withdead (region text, v int);
