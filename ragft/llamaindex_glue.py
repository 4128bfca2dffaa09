"""The same vector search through LlamaIndex: the course's models, Qdrant, and the date filter.

Taught in notebook 04, after the hand-written Qdrant search of :mod:`ragft.vectorstore`.
LlamaIndex falls back to OpenAI for any model you do not set, so :func:`configure_llamaindex`
sets both: the embedder from the course's offline resolver, and a local generator (or
LlamaIndex's ``MockLLM``). The nodes carry the vectors already computed, so building the
index embeds nothing again, and the notebook can check that LlamaIndex returns the same
top-k as ``query_points`` for the same query and filter.
"""
from __future__ import annotations

import threading
from datetime import date
from typing import Any

from llama_index.core import Settings, StorageContext, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage, CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.llms import LLM, CustomLLM, MockLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.schema import NodeRelationship, QueryBundle, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
from pydantic import PrivateAttr

from .models import DEFAULT_EMBEDDER, load_generator, resolve_model
from .vectorstore import chunk_payload, create_collection, day_number, point_id

#: Metadata the generator sees with each retrieved chunk (the rest is for filtering only).
LLM_METADATA = ("title", "valid_from", "valid_until")


def _chat_prompt(tokenizer, messages) -> str:
    """LlamaIndex chat messages as one prompt string in the model's own chat template."""
    turns = [{"role": m.role.value, "content": m.content or ""} for m in messages]
    return tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)


class TransformersLLM(CustomLLM):
    """A LlamaIndex LLM around a local transformers chat model: greedy decoding, chat template.

    ``complete(prompt)`` sends ``prompt`` as one user turn; LlamaIndex's query engines call
    ``chat(messages)``, which formats the whole conversation with the model's template.
    """

    model_name: str = "transformers"
    max_new_tokens: int = 64
    context_window: int = 2048
    _model: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, model, tokenizer, max_new_tokens: int = 64, **kwargs: Any):
        kwargs.setdefault("model_name", str(getattr(model, "name_or_path", "transformers")))
        super().__init__(
            max_new_tokens=max_new_tokens,
            context_window=getattr(model.config, "max_position_embeddings", 2048),
            messages_to_prompt=lambda messages: _chat_prompt(tokenizer, messages), **kwargs,
        )
        self._model, self._tokenizer = model, tokenizer

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.max_new_tokens,
                           model_name=self.model_name, is_chat_model=True)

    def _generate_kwargs(self, prompt: str, formatted: bool) -> dict:
        if not formatted:
            prompt = _chat_prompt(self._tokenizer, [ChatMessage(role="user", content=prompt)])
        inputs = self._tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(self._model.device)
        return dict(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False, pad_token_id=self._tokenizer.pad_token_id)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """The model's greedy answer to ``prompt`` (a chat-formatted string if ``formatted``)."""
        import torch

        gen = self._generate_kwargs(prompt, formatted)
        with torch.inference_mode():
            out = self._model.generate(**gen)
        return CompletionResponse(text=self._tokenizer.decode(out[0, gen["input_ids"].shape[1]:], skip_special_tokens=True))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """The same answer as :meth:`complete`, yielded piece by piece as it is generated."""
        import torch
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        gen = self._generate_kwargs(prompt, formatted)

        def run():
            with torch.inference_mode():  # inference mode is per thread
                self._model.generate(**gen, streamer=streamer)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        text = ""
        for delta in streamer:
            text += delta
            yield CompletionResponse(text=text, delta=delta)
        thread.join()


def configure_llamaindex(embed_model_id: str = DEFAULT_EMBEDDER, llm=None, device: str | None = None) -> None:
    """Set LlamaIndex's global models to the course's local ones, so nothing calls OpenAI.

    - ``Settings.embed_model``: a ``HuggingFaceEmbedding`` read from the folder the course's
      resolver finds for ``embed_model_id`` (no hub download).
    - ``Settings.llm``: ``MockLLM`` if ``llm`` is None (retrieval needs no generator; it
      answers with the prompt it was given); a :class:`TransformersLLM` for a hub id
      (loaded with ``ragft.load_generator``) or for a ``(model, tokenizer)`` pair; or any
      LlamaIndex ``LLM`` as it is.
    ``device`` is where the embedder runs (default CPU, as ``ragft.load_embedder``).
    """
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    resolved = resolve_model(embed_model_id)
    Settings.embed_model = HuggingFaceEmbedding(model_name=str(resolved.path), device=device or "cpu")
    if llm is None:
        llm = MockLLM()
    elif isinstance(llm, str):
        llm = TransformersLLM(*load_generator(llm), model_name=llm)
    elif isinstance(llm, tuple):
        llm = TransformersLLM(*llm)
    elif not isinstance(llm, LLM):
        raise TypeError(f"llm must be None, a hub id, a (model, tokenizer) pair or a LlamaIndex LLM, not {type(llm).__name__}")
    Settings.llm = llm
    print(f"llamaindex embed_model {resolved}; llm {type(llm).__name__}")


def nodes_from_chunks(chunks: list[dict], vectors, docs_by_id: dict) -> list[TextNode]:
    """One LlamaIndex ``TextNode`` per chunk, carrying its precomputed vector and metadata.

    The node id is the chunk's Qdrant point id and the metadata is the payload of
    :func:`ragft.vectorstore.chunk_payload` (without the text), so both indexes hold the same
    points. Nodes that carry an embedding are not embedded again when indexed.
    """
    nodes = []
    for chunk, vector in zip(chunks, vectors, strict=True):
        metadata = chunk_payload(chunk, docs_by_id[chunk["doc_id"]])
        metadata.pop("text")
        nodes.append(TextNode(
            id_=point_id(chunk["chunk_id"]), text=chunk["text"], embedding=[float(x) for x in vector], metadata=metadata,
            excluded_embed_metadata_keys=list(metadata),  # embed the text alone, as the hand-written index did
            excluded_llm_metadata_keys=[k for k in metadata if k not in LLM_METADATA],
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk["doc_id"])},
        ))
    return nodes


def llamaindex_index(client, collection: str, nodes: list[TextNode], embed_model=None) -> VectorStoreIndex:
    """A ``VectorStoreIndex`` of ``nodes`` in a fresh Qdrant ``collection`` (recreated on every call).

    ``embed_model`` (default ``Settings.embed_model``) embeds queries; the nodes' own vectors
    are stored as they are.
    """
    from llama_index.vector_stores.qdrant import QdrantVectorStore

    create_collection(client, collection, dim=len(nodes[0].embedding))
    store = QdrantVectorStore(collection_name=collection, client=client)
    return VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=store),
                            embed_model=embed_model or Settings.embed_model)


def date_filters(day: date | str | None = None, **fields) -> MetadataFilters:
    """LlamaIndex filters equal to :func:`ragft.vectorstore.valid_on` (and ``matching(**fields)``):
    ``valid_from <= day < valid_until``, plus exact matches such as ``product="relay"``.
    """
    filters = [MetadataFilter(key=k, value=v, operator=FilterOperator.EQ) for k, v in fields.items()]
    if day is not None:
        n = day_number(day)
        filters += [MetadataFilter(key="valid_from_int", value=n, operator=FilterOperator.LTE),
                    MetadataFilter(key="valid_until_int", value=n, operator=FilterOperator.GT)]
    return MetadataFilters(filters=filters)


def retrieve_ids(index: VectorStoreIndex, query, k: int = 5, filters: MetadataFilters | None = None) -> list[tuple[str, float]]:
    """``(chunk_id, score)`` of the ``k`` best chunks for ``query``, best first.

    ``query`` is a question (embedded with the index's embed model) or a query vector (used as
    it is, to compare with :func:`ragft.vectorstore.search` on exactly the same vector).
    """
    bundle = QueryBundle(query_str=query) if isinstance(query, str) else QueryBundle(query_str="", embedding=[float(x) for x in query])
    hits = index.as_retriever(similarity_top_k=k, filters=filters).retrieve(bundle)
    return [(hit.node.metadata["chunk_id"], hit.score) for hit in hits]
