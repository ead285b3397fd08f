"""Built-in ``dram`` members. Parts are data: each YAML in ``conf/dram/`` names its class in ``type``."""
