#include "stronghold/identity/storage.hpp"

namespace stronghold::identity {

Result<EncryptedData> Storage::data_encrypt(const Did&, ByteView plaintext, ByteView associated_data,
                                            ContentEncryption content, const CekAlgorithm& cek,
                                            ByteView recipient_public_key) {
  return vault::jwe_encrypt(plaintext, associated_data, content, cek.kind, cek.agreement, recipient_public_key);
}

}  // namespace stronghold::identity
