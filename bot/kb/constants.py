# sha256 of all-MiniLM-L6-v2's model.safetensors as published upstream.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
