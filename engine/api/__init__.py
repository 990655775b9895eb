"""The webhook API: the FastAPI app, routes, tokens and signatures, models, problem+json."""
